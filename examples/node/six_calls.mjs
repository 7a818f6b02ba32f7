// The six calls through the WebAssembly package, as a Node program would make them.
// Usage: node examples/node/six_calls.mjs <data-plane-url> [write-key]
//        (or RUDDER_DATA_PLANE_URL / RUDDER_WRITE_KEY). Build the package first:
//        ./scripts/build-wasm.sh
// In your own project: import { Analytics } from 'rudder-analytics-wasm';
import { Analytics } from '../../js/dist/node.mjs';  // what Node gets for 'rudder-analytics-wasm'

const url = process.argv[2] ?? process.env.RUDDER_DATA_PLANE_URL;
const writeKey = process.argv[3] ?? process.env.RUDDER_WRITE_KEY;
if (!url || !writeKey) {
  console.error('usage: node examples/node/six_calls.mjs <data-plane-url> <write-key>');
  process.exit(2);
}

const analytics = await Analytics.create({
  writeKey,
  dataPlaneUrl: url,
  onError: (error, events) => console.error(`not delivered (${events.length} events): ${error.message}`),
});

analytics.identify({ userId: 'user-42', traits: { email: 'ada@example.com', name: 'Ada Lovelace' } });
analytics.track({ userId: 'user-42', event: 'Article Read', properties: { title: 'The Analytical Engine', words: 1843 } });
analytics.page({ userId: 'user-42', category: 'Docs', name: 'Getting Started', properties: { url: 'https://example.com/start' } });
analytics.screen({ userId: 'user-42', category: 'Settings', name: 'Brightness', properties: { from: 'Settings Screen' } });
analytics.group({ userId: 'user-42', groupId: 'company-7', traits: { name: 'Engines Ltd', employees: 12 } });
analytics.alias({ previousId: 'anonymous-9', userId: 'user-42', context: { campaign: { source: 'newsletter' } } });

// A call with a mistake throws on the spot, naming the field; nothing is sent for it.
try {
  analytics.track({ userId: 'user-42', event: 'Price Shown', properties: { price: Number.NaN } });
} catch (error) {
  console.log(`refused as expected: ${error.name}: ${error.message}`);
}

// close() delivers what is queued (for at most timeoutMs), then stops.
const outcome = await analytics.close({ timeoutMs: 10_000 });
const stats = analytics.stats();
const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
console.log(`delivered ${outcome.delivered}, failed ${outcome.failed}, dropped ${dropped}`);
process.exitCode = outcome.delivered === 6 ? 0 : 1;

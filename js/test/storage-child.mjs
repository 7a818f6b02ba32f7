// rudder-analytics js tests: a Node process that tracks events with storageDir and then ends
// the way the test asks, for storage.test.mjs.
//   node storage-child.mjs <storageDir> <dataPlaneUrl> <count> <idPrefix> <exit|throw|wait|end> [maxRetries]
// Prints "accepted N" once the calls have returned; 'end' lets the script end by itself,
// without close(), after printing what flush() resolved with.
import { Analytics } from 'rudder-analytics-wasm';

const [storageDir, dataPlaneUrl, count, prefix, ending, maxRetries = '1000'] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const analytics = await Analytics.create({
  writeKey: 'test-write-key', dataPlaneUrl, storageDir, logger: quiet, maxRetries: Number(maxRetries),
});
let accepted = 0;
for (let i = 0; i < Number(count); i += 1) {
  const r = analytics.track({ userId: 'u', event: 'Stored', messageId: `${prefix}${i}`, properties: { i } });
  if (r.status === 'accepted') accepted += 1;
}
process.stdout.write(`accepted ${accepted}\n`);
if (ending === 'exit') process.exit(0);
if (ending === 'throw') throw new Error('the program fails right after its calls');
if (ending === 'end') {
  process.stdout.write(`flushed ${JSON.stringify(await analytics.flush())}\n`);
} else {
  setInterval(() => {}, 1000);  // 'wait': until killed
}

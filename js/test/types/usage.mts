// rudder-analytics type tests: what an ES module user writes must type-check, and misuse must
// not (each @ts-expect-error fails the check if the line compiles).
import { Analytics, DeliveryError, type CallResult, type DeliveryOutcome, type InputError, type Plugin, type Stats } from 'rudder-analytics-wasm';

export async function use(): Promise<void> {
  const analytics: Analytics = await Analytics.create({
    writeKey: 'key',
    dataPlaneUrl: 'https://dp.example.com',
    uploadIntervalMs: 1000,
    timeoutMs: 5000,
    maxRetries: 3,
    gzip: true,
    onError: (error: DeliveryError, events) => {
      const kind: 'http_status' | 'network' | 'unknown_outcome' | 'unsent_at_shutdown' | 'invalid' | 'queue_full' | 'not_started' = error.kind;
      const field: string | undefined = error.field;
      void field;
      const status: number = error.status;
      void kind; void status; void events.length;
    },
  });
  const result: CallResult = analytics.track({ userId: 'u', event: 'E', properties: { price: 1, tags: ['a'], when: new Date() } });
  if (result.status === 'accepted') {
    const id: string = result.messageId;
    void id;
  } else if (result.status !== 'buffered') {
    const why: string = result.error;
    void why;
  }
  analytics.identify({ userId: 42, traits: { email: 'a@b.c' } });
  analytics.page({ anonymousId: 'a', name: 'Home', category: 'Docs' });
  analytics.screen({ userId: 'u', name: 'Main' });
  analytics.group({ userId: 'u', groupId: 'g', traits: {} });
  analytics.alias({ previousId: 'a', userId: 'u', timestamp: Date.now() });
  const flushed: DeliveryOutcome = await analytics.flush();
  const stats: Stats = analytics.stats();
  const closed: DeliveryOutcome = await analytics.close({ timeoutMs: 2000 });
  void flushed; void stats.dropped.queue_full; void closed.unsent;

  try {
    analytics.track({ userId: 'u', event: 'E', properties: { price: NaN } });
  } catch (e) {
    const refused = e as InputError;
    const where: string = `${refused.call} ${refused.field}`;
    const code: 'missing' | 'wrong_type' | 'invalid_value' | 'out_of_range' = refused.code;
    void where; void code;
  }
  const tagger: Plugin = (message, call) => (call === 'track' ? { ...message, context: { app: 'web' } } : message);
  analytics.addPlugin(tagger);
  // The README's example: the nested objects spread.
  analytics.addPlugin((message) => ({ ...message, context: { ...message.context, app: 'web' } }));
  analytics.addPlugin(() => null);
  void stats.dropped.by_plugin;
  const visitor: string = analytics.getAnonymousId();
  const user: string | null = analytics.getUserId();
  analytics.setAnonymousId('from-the-server');
  analytics.reset();
  void visitor; void user; void analytics.getUserTraits().plan;
  // @ts-expect-error track needs an event
  analytics.track({ userId: 'u' });
  // @ts-expect-error alias needs userId
  analytics.alias({ previousId: 'p' });
  // @ts-expect-error settings need writeKey and dataPlaneUrl
  await Analytics.create({ writeKey: 'key' });
  // @ts-expect-error durations are numbers of milliseconds
  await Analytics.create({ writeKey: 'k', dataPlaneUrl: 'u', timeoutMs: '5s' });
  await Analytics.create({ writeKey: 'k', dataPlaneUrl: 'u', storage: 'memory' });
  // @ts-expect-error storage is "indexedDB" or "memory"
  await Analytics.create({ writeKey: 'k', dataPlaneUrl: 'u', storage: 'localStorage' });
  // Usable at once: calls before the module is ready are held.
  const early = new Analytics({ writeKey: 'k', dataPlaneUrl: 'u' });
  const held: CallResult = early.track({ userId: 'u', event: 'E' });
  void held.status;
  const same: Analytics = await early.ready;
  void same;
  // @ts-expect-error the constructor takes the settings
  new Analytics();
  // @ts-expect-error ready is a promise, not a method
  early.ready();
}

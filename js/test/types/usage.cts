// rudder-analytics type tests: the CommonJS entry point has the same types.
import rudder = require('rudder-analytics-wasm');

export async function use(): Promise<void> {
  const analytics = await rudder.Analytics.create({ writeKey: 'key', dataPlaneUrl: 'https://dp.example.com' });
  const result: rudder.CallResult = analytics.track({ userId: 'u', event: 'E' });
  void result;
  // @ts-expect-error page properties must be an object
  analytics.page({ userId: 'u', properties: 'x' });
  await analytics.close();
}

// rudder-analytics js: where a browser keeps the remembered user (the core's Identity, as
// JSON) between page loads: localStorage, or a first-party cookie where localStorage is
// missing or refuses (some private windows, storage disabled). What the user is, and how
// calls use it, is the core's (src/core/identity.hpp); this file only keeps the text.
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;
const COOKIE_MAX_BYTES = 3_800;  // under the 4 KiB browsers allow a cookie, name included

/** The place for `writeKey`'s user, or null where neither localStorage nor cookies work. */
export function identityStore(writeKey) {
  const key = `rudder-analytics:identity:${writeKey}`;
  try {
    const probe = `${key}:probe`;
    localStorage.setItem(probe, '1');
    localStorage.removeItem(probe);
    return {
      key,
      read: () => localStorage.getItem(key),
      write(json) {
        try {
          localStorage.setItem(key, json);
        } catch {
          // full: the user stays remembered in memory for this page
        }
      },
    };
  } catch {
    // no localStorage here: a cookie instead
  }
  if (typeof document === 'undefined' || typeof document.cookie !== 'string') return null;
  const name = `rudder_analytics_identity_${encodeURIComponent(writeKey).replace(/%/g, '_')}`;
  return {
    key: null,  // cookies have no change event for other tabs
    read() {
      const found = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
      return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
    },
    write(json) {
      let value = encodeURIComponent(json);
      if (value.length > COOKIE_MAX_BYTES) {
        // Too large with the traits: the ids alone, which matter most.
        const { anonymousId, userId } = JSON.parse(json);
        value = encodeURIComponent(JSON.stringify({ anonymousId, userId }));
      }
      const secure = location.protocol === 'https:' ? '; Secure' : '';
      document.cookie = `${name}=${value}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; SameSite=Lax${secure}`;
    },
  };
}

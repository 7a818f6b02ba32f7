// rudder-analytics js: where a browser keeps the remembered user (the core's Identity, as
// JSON) between page loads: localStorage, or a first-party cookie where localStorage is
// missing or refuses (some private windows, storage disabled). What the user is, and how
// calls use it, is the core's (src/core/identity.hpp); this file only keeps the text.
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;
const COOKIE_MAX_BYTES = 3_800;  // under the 4 KiB browsers allow a cookie, name included

// The clients of this page, by the place they keep their user in: a browser tells other tabs
// of a localStorage change (the `storage` event) but never the page that made it, so clients
// of one page (two modules, a framework mounting twice) tell each other.
const clientsOf = new Map();  // place -> Set of onChange

/**
 * The place for `writeKey`'s user, or null where neither localStorage nor cookies work.
 * `onChange(json)` hears what other clients write there: of this page at once, of other tabs
 * through localStorage's `storage` event (a cookie has none). `close()` stops that.
 */
export function identityStore(writeKey, onChange) {
  const store = placeFor(writeKey);
  if (!store) return null;
  const clients = clientsOf.get(store.place) ?? new Set();
  clientsOf.set(store.place, clients.add(onChange));
  const onStorage = (e) => { if (e.key === store.place) onChange(e.newValue ?? '{}'); };
  const otherTabs = store.local && typeof addEventListener === 'function';
  if (otherTabs) addEventListener('storage', onStorage);
  return {
    read: store.read,
    write(json) {
      store.write(json);
      for (const other of clients) if (other !== onChange) other(json);
    },
    close() {
      clients.delete(onChange);
      if (otherTabs) removeEventListener('storage', onStorage);
    },
  };
}

function placeFor(writeKey) {
  const key = `rudder-analytics:identity:${writeKey}`;
  try {
    const probe = `${key}:probe`;
    localStorage.setItem(probe, '1');
    localStorage.removeItem(probe);
    return {
      place: key,
      local: true,
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
  if (!cookiesWork()) return null;
  const name = `rudder_analytics_identity_${encodeURIComponent(writeKey).replace(/%/g, '_')}`;
  return {
    place: name,
    local: false,
    read() {
      const value = cookie(name);
      return value === null ? null : decodeURIComponent(value);
    },
    write(json) {
      let value = encodeURIComponent(json);
      if (value.length > COOKIE_MAX_BYTES) {
        // Too large with the traits: the ids alone, which matter most.
        const { anonymousId, userId } = JSON.parse(json);
        value = encodeURIComponent(JSON.stringify({ anonymousId, userId }));
      }
      const secure = location.protocol === 'https:' ? '; Secure' : '';
      try {
        document.cookie = `${name}=${value}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; SameSite=Lax${secure}`;
      } catch {
        // refused since the probe: the user stays remembered in memory for this page
      }
    },
  };
}

// Whether this page can read and write its cookies. A sandboxed frame without
// allow-same-origin throws a SecurityError on reading `document.cookie` itself; a browser that
// blocks cookies ignores the write, which the probe reads back.
function cookiesWork() {
  try {
    document.cookie = 'rudder_analytics_probe=1; Path=/; SameSite=Lax';
    const works = cookie('rudder_analytics_probe') === '1';
    document.cookie = 'rudder_analytics_probe=; Path=/; Max-Age=0; SameSite=Lax';
    return works;
  } catch {
    return false;  // no document here, or writing cookies throws
  }
}

/**
 * The user an earlier SDK kept in this browser, as the JSON the core restores
 * ({"anonymousId":...,"userId":...,"traits":{...}}), or null. A site that moves to this
 * package from RudderStack's analytics-js or Segment's analytics.js keeps its visitors: where
 * this package has kept no user yet, theirs is taken up. analytics-js (v3) keeps each value
 * in a cookie (rl_anonymous_id, rl_user_id, rl_trait) as "RS_ENC_v3_" and the base64 of its
 * JSON; analytics.js keeps JSON in cookies and localStorage (ajs_anonymous_id, ajs_user_id,
 * ajs_user_traits). analytics-js's older AES form ("RudderEncrypt:") cannot be read here.
 */
export function userOfEarlierSdk() {
  const read = (name) => decodeKept(cookie(name) ?? localItem(name));
  const rudder = { anonymousId: read('rl_anonymous_id'), userId: read('rl_user_id'), traits: read('rl_trait') };
  const segment = { anonymousId: read('ajs_anonymous_id'), userId: read('ajs_user_id'), traits: read('ajs_user_traits') };
  const isId = (v) => (typeof v === 'string' && v !== '') || Number.isFinite(v);
  const user = isId(rudder.anonymousId) || isId(rudder.userId) ? rudder : segment;
  const found = {};
  if (isId(user.anonymousId)) found.anonymousId = String(user.anonymousId);
  if (isId(user.userId)) found.userId = String(user.userId);
  if (user.traits !== null && typeof user.traits === 'object' && !Array.isArray(user.traits)) {
    found.traits = user.traits;
  }
  return found.anonymousId || found.userId ? JSON.stringify(found) : null;
}

// The raw value of the page's cookie `name`, or null (also where there are no cookies).
function cookie(name) {
  let cookies;
  try {
    cookies = typeof document === 'undefined' ? '' : document.cookie;
  } catch {
    return null;  // a sandboxed frame: reading cookies throws
  }
  const found = typeof cookies === 'string' ? cookies.split('; ').find((c) => c.startsWith(`${name}=`)) : undefined;
  return found ? found.slice(name.length + 1) : null;
}

function localItem(name) {
  try {
    return localStorage.getItem(name);
  } catch {
    return null;
  }
}

// A kept value: URL-decoded, unwrapped from analytics-js's "RS_ENC_v3_" base64, then read as
// JSON; a bare id (a cookie written without JSON) as it is. Unreadable: undefined.
function decodeKept(raw) {
  if (raw == null || raw === '') return undefined;
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // not URL-encoded
  }
  if (text.startsWith('RudderEncrypt:')) return undefined;
  if (text.startsWith('RS_ENC_v3_')) {
    try {
      text = new TextDecoder().decode(Uint8Array.from(atob(text.slice(10)), (c) => c.charCodeAt(0)));
    } catch {
      return undefined;
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

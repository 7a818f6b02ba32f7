"""rudder_analytics: RudderStack's Python SDK, module-level style, over the native library.

A small module over the C API (rudder/analytics.h) through ctypes: the batching, retries,
validation and payloads are the C++ core's, the same as the C++ library's and the npm
package's. Needs a shared build of the library (cmake -DBUILD_SHARED_LIBS=ON); it is found at
``library``, else $RUDDER_ANALYTICS_LIBRARY, else the system's library path.

    import rudder_analytics
    rudder_analytics.write_key = 'WRITE_KEY'
    rudder_analytics.data_plane_url = 'https://your-data-plane.example.com'
    rudder_analytics.track('user-1', 'Article Read', {'title': 'The Independence'})
    rudder_analytics.flush()

Calls return the event's messageId, raise ValueError naming the field for bad input (nothing
is sent then), and return None, logging why, for an event dropped because the queue is full or
the client was shut down. What is still queued at exit is delivered then (``shutdown``).
"""
import atexit
import ctypes
import ctypes.util
import datetime
import json
import logging
import os
import threading

# Settings, read when the first call starts the client. `dataPlaneUrl` is also accepted, the
# name RudderStack's own Python SDK uses.
write_key = None
data_plane_url = None
dataPlaneUrl = None
on_error = None            # on_error(error: dict, events: list), on the library's worker thread
debug = False
send = True                # False: validate and build events, send nothing
sync_mode = False          # True: each call returns once its event is delivered
gzip = True
upload_size = 100          # events per request
upload_interval = 0.5      # seconds an event waits to be batched, at most
timeout = 15               # seconds per request
max_retries = 10
max_queue_size = 0         # 0: bounded by bytes only
storage_dir = None         # a directory that keeps accepted events across crashes and restarts
library = None             # path of librudder_analytics.so

log = logging.getLogger('rudder_analytics')

_ACCEPTED, _INVALID = 0, 1
_LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR]
_ERROR_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)

_lock = threading.Lock()
_lib = None
_client = None
_callbacks = None  # kept referenced while the client may call them


def _load():
    path = library or os.environ.get('RUDDER_ANALYTICS_LIBRARY') or ctypes.util.find_library('rudder_analytics')
    if not path:
        raise RuntimeError('rudder_analytics: librudder_analytics not found; set rudder_analytics.library '
                           'or RUDDER_ANALYTICS_LIBRARY to its path (a build with -DBUILD_SHARED_LIBS=ON)')
    lib = ctypes.CDLL(path)
    text_out = ctypes.POINTER(ctypes.c_void_p)
    lib.rudder_version.restype = ctypes.c_char_p
    lib.rudder_client_new.restype = ctypes.c_void_p
    lib.rudder_client_new.argtypes = [ctypes.c_char_p, _ERROR_FN, _LOG_FN, ctypes.c_void_p, text_out]
    for call in ('identify', 'track', 'page', 'screen', 'group', 'alias', 'submit'):
        fn = getattr(lib, 'rudder_' + call)
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, text_out]
    for name in ('rudder_flush', 'rudder_shutdown'):
        getattr(lib, name).restype = ctypes.c_int
        getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_int64, text_out]
    lib.rudder_stats.restype = ctypes.c_void_p
    lib.rudder_stats.argtypes = [ctypes.c_void_p]
    lib.rudder_client_free.argtypes = [ctypes.c_void_p]
    lib.rudder_free.argtypes = [ctypes.c_void_p]
    return lib


def _taken(pointer):
    """The text of a string the library gave, which it then frees."""
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode('utf-8')
    finally:
        _lib.rudder_free(pointer)


def _settings():
    url = data_plane_url or dataPlaneUrl
    settings = {
        'writeKey': write_key, 'dataPlaneUrl': url, 'debug': debug, 'send': send, 'syncMode': sync_mode,
        'gzip': gzip, 'uploadSize': upload_size, 'uploadIntervalMs': round(upload_interval * 1000),
        'timeoutMs': round(timeout * 1000), 'maxRetries': max_retries, 'maxQueueSize': max_queue_size,
    }
    if storage_dir:
        settings['storageDir'] = storage_dir
    missing = [name for name, value in (('write_key', write_key), ('data_plane_url', url)) if not value]
    if missing:
        raise ValueError('rudder_analytics: set %s first' % ' and '.join(missing))
    return settings


def _report(_, error_json, events_json):
    if on_error is not None:
        try:
            on_error(json.loads(error_json), json.loads(events_json))
        except Exception:  # the library's worker must go on
            log.exception('on_error raised')


def _log(_, level, message):
    log.log(_LEVELS[level] if 0 <= level < len(_LEVELS) else logging.INFO, message.decode('utf-8', 'replace'))


def _started():
    global _lib, _client, _callbacks
    with _lock:
        if _client is None:
            _lib = _lib or _load()
            _callbacks = (_ERROR_FN(_report), _LOG_FN(_log))
            error = ctypes.c_void_p()
            client = _lib.rudder_client_new(json.dumps(_settings()).encode('utf-8'), _callbacks[0], _callbacks[1],
                                            None, ctypes.byref(error))
            if not client:
                raise ValueError('rudder_analytics: ' + (_taken(error.value) or 'the client did not start'))
            _client = client
        return _client


def _json_value(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = _guess_timezone(value)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError('%r is not JSON serializable' % (value,))


def _guess_timezone(naive):
    """A datetime without a time zone, as the reference SDK reads one: within 5 s of the local
    clock's now it was made by datetime.now(), so it is local time; otherwise UTC is the best
    guess."""
    if abs((datetime.datetime.now() - naive).total_seconds()) < 5:
        return naive.astimezone()
    return naive.replace(tzinfo=datetime.timezone.utc)


def _unsendable(value, path):
    """The path and problem of the first value JSON cannot carry ('properties.price'), or None."""
    if isinstance(value, dict):
        items = (('%s.%s' % (path, key) if path else str(key), item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = (('%s[%d]' % (path, i), item) for i, item in enumerate(value))
    else:
        try:
            json.dumps(value, default=_json_value, allow_nan=False)
            return None
        except (TypeError, ValueError) as e:
            return path, e
    for item_path, item in items:
        found = _unsendable(item, item_path)
        if found:
            return found
    return None


def _call(call, message):
    message = {key: value for key, value in message.items() if value is not None}
    try:
        text = json.dumps(message, default=_json_value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        found = _unsendable(message, '') if not isinstance(e, RecursionError) else None
        raise ValueError('%s: %s: %s' % (call, found[0], found[1]) if found else '%s: %s' % (call, e)) from None
    client = _started()  # loads the library first
    detail = ctypes.c_void_p()
    status = getattr(_lib, 'rudder_' + call)(client, text.encode('utf-8'), ctypes.byref(detail))
    detail = _taken(detail.value)
    if status == _ACCEPTED:
        return detail
    if status == _INVALID:
        raise ValueError('%s: %s' % (call, detail))
    log.warning('%s dropped: %s', call, detail)
    return None


def _common(anonymous_id, context, integrations, timestamp, message_id):
    return {'anonymousId': anonymous_id, 'context': context, 'integrations': integrations,
            'timestamp': timestamp, 'messageId': message_id}


def identify(user_id=None, traits=None, context=None, timestamp=None, anonymous_id=None, integrations=None,
             message_id=None):
    return _call('identify', dict(userId=user_id, traits=traits,
                                  **_common(anonymous_id, context, integrations, timestamp, message_id)))


def track(user_id=None, event=None, properties=None, context=None, timestamp=None, anonymous_id=None,
          integrations=None, message_id=None):
    return _call('track', dict(userId=user_id, event=event, properties=properties,
                               **_common(anonymous_id, context, integrations, timestamp, message_id)))


def page(user_id=None, category=None, name=None, properties=None, context=None, timestamp=None, anonymous_id=None,
         integrations=None, message_id=None):
    return _call('page', dict(userId=user_id, category=category, name=name, properties=properties,
                              **_common(anonymous_id, context, integrations, timestamp, message_id)))


def screen(user_id=None, category=None, name=None, properties=None, context=None, timestamp=None,
           anonymous_id=None, integrations=None, message_id=None):
    return _call('screen', dict(userId=user_id, category=category, name=name, properties=properties,
                                **_common(anonymous_id, context, integrations, timestamp, message_id)))


def group(user_id=None, group_id=None, traits=None, context=None, timestamp=None, anonymous_id=None,
          integrations=None, message_id=None):
    return _call('group', dict(userId=user_id, groupId=group_id, traits=traits,
                               **_common(anonymous_id, context, integrations, timestamp, message_id)))


def alias(previous_id=None, user_id=None, context=None, timestamp=None, integrations=None, message_id=None):
    return _call('alias', dict(previousId=previous_id, userId=user_id,
                               **_common(None, context, integrations, timestamp, message_id)))


def _finish(name, seconds):
    with _lock:
        client = _client
    if client is None:
        return None
    result = ctypes.c_void_p()
    getattr(_lib, name)(client, int(seconds * 1000), ctypes.byref(result))
    return json.loads(_taken(result.value))


def flush(timeout=10):
    """Sends what is queued and waits (at most `timeout` seconds) until it is delivered or given
    up on. Returns {'delivered': n, 'failed': n, 'unknown': n, 'pending': n, ...}."""
    return _finish('rudder_flush', timeout)


def shutdown(timeout=10):
    """Delivers what is queued (at most `timeout` seconds) and stops the client; the rest goes
    to on_error (or, with storage_dir, stays for the next run). Runs at exit too."""
    global _client
    result = _finish('rudder_shutdown', timeout)
    with _lock:
        client, _client = _client, None
    if client is not None:
        _lib.rudder_client_free(client)
    return result


def stats():
    with _lock:
        client = _client
    return json.loads(_taken(_lib.rudder_stats(client))) if client is not None else None


atexit.register(shutdown)

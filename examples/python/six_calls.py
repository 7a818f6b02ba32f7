"""The reference Python SDK's six example calls, through the native library's C API.

    RUDDER_ANALYTICS_LIBRARY=build-shared/platform/librudder_analytics.so \
        python3 examples/python/six_calls.py DATA_PLANE_URL WRITE_KEY
"""
import sys

import rudder_analytics


def on_error(error, events):
    print('Error response:', error['message'], '(%d events)' % len(events))


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: six_calls.py DATA_PLANE_URL WRITE_KEY')
    rudder_analytics.data_plane_url = sys.argv[1]
    rudder_analytics.write_key = sys.argv[2]
    rudder_analytics.on_error = on_error

    rudder_analytics.identify('123456', {
        'email': 'name@surname.com',
        'name': 'John Doe',
        'friends': 16
    })
    rudder_analytics.track('123456', 'Article Read', {
        'title': 'The Independence',
        'subtitle': 'Story of the Weak',
        'author': 'John Doe'
    })
    rudder_analytics.page('userId', 'Documentation', 'Sample Doc', {
        'url': 'http://rudderstack.com'
    })
    rudder_analytics.screen('userid', 'Settings', 'Brightness', {
        'from': 'Settings Screen'
    })
    rudder_analytics.group('userid', 'groupid', {
        'name': 'Company',
        'domain': 'IT'
    })
    rudder_analytics.alias('previousid', 'userid')

    # A mistake is refused on the spot, naming the field; nothing is sent for it.
    try:
        rudder_analytics.track('123456', '')
    except ValueError as e:
        print('refused as expected:', e)
    try:
        rudder_analytics.track('123456', 'Priced', {'price': float('nan')})
    except ValueError as e:
        print('refused as expected:', e)

    result = rudder_analytics.flush()
    print('delivered %(delivered)d, failed %(failed)d, unknown %(unknown)d, still pending %(pending)d' % result)
    sys.exit(0 if result['delivered'] == 6 else 1)


if __name__ == '__main__':
    main()

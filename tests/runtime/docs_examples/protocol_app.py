# The second example of Chalice's WebSocket documentation; only the import line changed.
from runtime import Chalice

app = Chalice(app_name='test-websockets')
app.experimental_feature_flags.update([
    'WEBSOCKETS',
])


@app.on_ws_connect()
def connect(event):
    print('New connection: %s' % event.connection_id)
    # We don't need to explicitly set a statusCode.
    return {
        'headers': {'Sec-WebSocket-Protocol': 'My-Protocol'},
    }

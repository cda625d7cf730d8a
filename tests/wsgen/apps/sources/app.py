"""Every kind of event handler, for the golden template tests/golden/sources.yaml."""

from runtime import App, Cron, Rate

app = App(app_name="sources")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def message(event):
    pass


@app.schedule(Rate(5, unit=Rate.MINUTES), description="every five minutes")
def every_five_minutes(event):
    app.websocket_api.broadcast([], event.time)


@app.schedule(Cron(0, 9, "?", "*", "MON-FRI", "*"))
def weekday_mornings(event):
    pass


@app.on_sqs_message(queue="jobs", batch_size=25, maximum_batching_window_in_seconds=5)
def run_jobs(event):
    pass


@app.on_sqs_message(queue="ordered.fifo", name="ordered")
def ordered(event):
    pass


@app.on_sqs_message(queue_arn="arn:aws:sqs:eu-west-1:123456789012:existing", name="existing")
def existing_queue(event):
    pass


@app.on_sns_message(topic="prices")
def prices(event):
    pass


@app.on_sns_message(topic="arn:aws:sns:eu-west-1:123456789012:alerts", name="alerts")
def alerts(event):
    pass


@app.on_cw_event({"source": ["com.example.orders"], "detail-type": ["Order Shipped"]})
def order_shipped(event):
    pass


@app.on_dynamodb_record(
    stream_arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T08:12:55.123",
    starting_position="TRIM_HORIZON",
)
def order_changes(event):
    pass


@app.lambda_function(name="notify")
def notify(event, context):
    app.websocket_api.send(event["connection_id"], event["message"])


@app.task()
def build_report(connection_id, topic):
    app.websocket_api.send(connection_id, topic)

"""API Gateway's WebSocket behaviour, sans I/O: what both `wsgen local` and `wsgen.testing` do.

The emulator (`wsgen.local`, real sockets) and the test client (`wsgen.testing`, in memory)
each keep their own transport and connections, and ask this package what API Gateway would
do; they act on its decisions' fields (`Verdict.step`, `Verdict.failure`, `Answer.close`),
never on their wording. It uses only the standard library and `runtime`
(tests/test_structure.py keeps asyncio and websockets out).

- `events`: the Lambda events (CONNECT, MESSAGE, DISCONNECT, the authorizer's input), ids
  and times, parameterised by the `Api` and the `Peer`.
- `authorizer`: the `$connect` REQUEST authorizer: identity sources, IAM policy, verdict.
- `access`, `sigv4`: `$connect`'s IAM authorization (a verified SigV4 signature) and API keys.
- `outcomes`: what an invocation gave (`Outcome`), the handshake `Verdict` and the `Step`
  that decided it, two-way reply frames, error frames, message bodies, close codes.
- `routing`: which route a message selects (`Router`).
- `context`: the Lambda context object handlers get (`LambdaContext`).
- `fanout`, `sqs`: SQS queues run in-process (`ShardQueue`: batches, retries, FIFO order) and
  what SQS accepts of a message sent to one (`read_message`, `send_fifo`, `SqsError`);
  `wsgen.local.sqs` serves them over HTTP, `Client.send_sqs_message` sends in memory.
- `state`: where a connection is in its life (`ConnectionState`), as `@connections` sees it.
- `session`: the order of it all, written once: authorizer → `$connect`, each message,
  `$disconnect`, as generators that yield the events to invoke; the front ends drive them.

Facts and sources: docs/aws-facts.md, sections #events, #authorizer, #connect, #routing,
#quotas and #local-sqs.
"""

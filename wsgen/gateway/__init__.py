"""API Gateway's WebSocket behaviour, sans I/O: what both `wsgen local` and `wsgen.testing` do.

The emulator (`wsgen.local`, real sockets) and the test client (`wsgen.testing`, in memory)
each keep their own transport and connection state, and ask this package what API Gateway
would do. It uses only the standard library and `runtime`.

- `events`: the Lambda events (CONNECT, MESSAGE, DISCONNECT, the authorizer's input), ids
  and times, parameterised by the `Api` and the `Peer`.
- `authorizer`: the `$connect` REQUEST authorizer: identity sources, IAM policy, verdict.
- `outcomes`: the handshake `Verdict` from `$connect`'s result, two-way reply frames, error
  frames, message bodies, close codes.
- `routing`: which route a message selects (`Router`).
- `context`: the Lambda context object handlers get (`LambdaContext`).
- `session`: the order of it all, written once: authorizer → `$connect`, each message,
  `$disconnect`, as generators that yield the events to invoke; the front ends drive them.

Facts and sources: docs/aws-facts.md, sections #events, #authorizer, #connect, #routing and
#quotas.
"""

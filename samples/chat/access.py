"""Who may connect: the shared token, from SSM Parameter Store, and a valid nickname.

Deployed, the function's environment holds only the parameter's name (CHAT_TOKEN_PARAMETER,
from wsgen.toml); CHAT_TOKEN, when set, is used instead: wsgen local and the tests set it.
"""

import functools
import hmac
import os
import re

from runtime import AuthResponse, UnauthorizedError, call_aws_json

NICK = re.compile(r"[A-Za-z0-9_-]{1,20}")


def check(query):
    """The authorizer's answer for the upgrade request's query string."""
    # A shared secret keeps the sample small; a real app would check a user's own token.
    if not hmac.compare_digest(query["token"].encode(), chat_token().encode()):
        raise UnauthorizedError()  # 401
    nick = query.get("nick", "guest")
    if not NICK.fullmatch(nick):
        return AuthResponse.deny()  # 403: a good token, but not with that nickname
    return AuthResponse.allow(principal_id=nick, context={"nick": nick})


@functools.cache  # read at the first $connect of each Lambda container, then kept
def chat_token():
    if "CHAT_TOKEN" in os.environ:
        return os.environ["CHAT_TOKEN"]
    name = os.environ["CHAT_TOKEN_PARAMETER"]
    found = call_aws_json(  # signed by the runtime: no boto3 import (~365 ms) for one call
        "ssm",
        "AmazonSSM.GetParameter",
        {"Name": name, "WithDecryption": True},
        json_version="1.1",
    )
    return found["Parameter"]["Value"]

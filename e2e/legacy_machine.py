"""A legacy machine program of the fair, as the old ones behave.

Run by cmd/coinop/legacy_test.go with Debian's own interpreter
(/usr/bin/python3) and Debian's python3-socketio (python-socketio 5, a
Socket.IO v4 client). Like the fair's old vending machine and arcade
programs it connects to the Socket.IO server at /api/v2/machine with an
HS256 token in the handshake's auth ({"machine": "vending-machine", "id": 0}
or {"machine": "arcade", "id": "<arcade>"}, with an exp in the JWT header
and no claim of time), reads each message's fields by position, shows the
Portuguese greeting, and answers:

  vending: on connecting stateUpdate idle 0; stateMFA -> stateUpdate mfa;
           stateReleasing -> stateUpdate releasing, then idle;
  arcade:  coinInsert for its own id -> coinInserted {arcade (as a
           string), operation}; other arcades' coinInserts are ignored.

The connect-time idle asks for a Socket.IO acknowledgement and prints
READY when it comes (the old program asks none). Every message received is
printed as one line, `EVENT <name> <json>`, keys
in the order received. The program runs until its standard input closes.
If the namespace refuses it, it prints `CONNECT_ERROR <message>` and exits
with status 3.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time

import socketio


def out(*parts):
    print(*parts, flush=True)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def legacy_token(secret, machine, ident):
    """An HS256 JWT as the old programs made it with PyJWT: the payload
    has no exp or iat; the header carries an exp a year ahead."""
    header = {"alg": "HS256", "exp": time.time() + 365 * 24 * 3600, "typ": "JWT"}
    payload = {"machine": machine, "id": ident}
    signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--kind", choices=["vending", "arcade"], required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--id", default="0", help="the arcade's id (a string); the vending machine's is the number 0")
    ap.add_argument("--transports", default="polling,websocket")
    ap.add_argument("--namespace", help="connect here instead of the kind's namespace")
    args = ap.parse_args()

    machine = "vending-machine" if args.kind == "vending" else "arcade"
    namespace = args.namespace or "/" + machine
    ident = 0 if args.kind == "vending" else args.id
    sio = socketio.Client(logger=False, engineio_logger=True, reconnection=False)
    refused = []

    def emit(name, content, callback=None):
        sio.emit(name, content, namespace=namespace, callback=callback)

    @sio.on("connect_error", namespace=namespace)
    def connect_error(data=None):
        message = data.get("message") if isinstance(data, dict) else data
        refused.append(message)
        out("CONNECT_ERROR", message)

    @sio.on("connect", namespace=namespace)
    def connect():
        if args.kind == "vending":
            # The one difference from the old program: this idle asks for an
            # acknowledgement (answered once the server applied it), so that
            # the test buys only after it (an idle arriving while the code is
            # shown cancels the purchase).
            emit("stateUpdate", {"state": "idle", "operation": 0}, callback=lambda *_: out("READY"))

    @sio.on("disconnect", namespace=namespace)
    def disconnect():
        out("DISCONNECTED")

    @sio.on("stateMFA", namespace=namespace)
    def state_mfa(data):
        out("EVENT stateMFA", json.dumps(data))
        try:
            username, code, operation = data.values()
        except Exception as e:
            out("Erro:", e)
            return
        out("Olá, %s! Seu código de autenticação é %s." % (username, code))
        emit("stateUpdate", {"state": "mfa", "operation": operation})

    @sio.on("stateReleasing", namespace=namespace)
    def state_releasing(data):
        out("EVENT stateReleasing", json.dumps(data))
        try:
            product, operation = data.values()
            product = int(product)
        except Exception as e:
            out("Erro:", e)
            return
        emit("stateUpdate", {"state": "releasing", "operation": operation})
        time.sleep(0.05)  # the motor turns
        out("RELEASED", product)
        emit("stateUpdate", {"state": "idle", "operation": operation})

    @sio.on("coinInsert", namespace=namespace)
    def coin_insert(data):
        out("EVENT coinInsert", json.dumps(data))
        try:
            arcade, coins, operation = data.values()
            arcade = str(arcade)
        except Exception:
            return
        if arcade == args.id:
            out("COINS", coins)
            emit("coinInserted", {"arcade": arcade, "operation": operation})

    @sio.on("*", namespace=namespace)
    def other(event, data=None):
        out("EVENT " + event, json.dumps(data))

    try:
        sio.connect(
            args.url,
            socketio_path="/api/v2/machine",
            namespaces=namespace,
            transports=args.transports.split(","),
            auth={"token": legacy_token(args.secret, machine, ident)},
        )
    except socketio.exceptions.ConnectionError as e:
        if not refused:
            out("CONNECT_ERROR", e)
        sys.exit(3)
    out("CONNECTED", sio.transport())
    sys.stdin.read()
    sio.disconnect()


if __name__ == "__main__":
    main()

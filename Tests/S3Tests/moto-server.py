"""moto's S3 and IAM server for S3Tests, on a free loopback port chosen by the kernel.

Prints the port on stdout, then serves until its parent (the test process) is gone. Set
INITIAL_NO_AUTH_ACTION_COUNT in the environment so that, after that many unauthenticated calls
(the tests create an IAM user, its access key and its policy), every request is signature-checked.
Arguments: [CERT KEY] to serve HTTPS with that certificate.

One fix to the server's URL handling, none to its checks: werkzeug rebuilds a request's URL from the decoded path
and query, re-encoding only some characters (`%2F` in a query becomes `/`, `%24` in a path becomes `$`), and moto
re-signs that rebuilt URL, so correctly signed requests for a listing prefix such as `snapshots/` or a key with `$`
fail its check; boto3 fails the same way. Here the URL is the request target exactly as the client sent it.
"""
import logging
import os
import signal
import sys
import threading
import time

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
import werkzeug.sansio.request
import werkzeug.wrappers.request
from werkzeug.serving import make_server


def url_as_sent(request):
    target = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if target and target.startswith("/"):
        return f"{request.scheme}://{request.host}{target}"
    return werkzeug.sansio.request.Request.url.func(request)


werkzeug.wrappers.request.Request.url = property(url_as_sent)

# The test process starts this from a thread that blocks signals, and the mask is inherited: let SIGTERM stop it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
parent = os.getppid()


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()
logging.getLogger("werkzeug").setLevel(logging.ERROR)
ssl_context = (sys.argv[1], sys.argv[2]) if len(sys.argv) == 3 else None
server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True, ssl_context=ssl_context)
print(server.server_port, flush=True)
server.serve_forever()

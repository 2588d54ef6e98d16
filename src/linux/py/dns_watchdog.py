# The watchdog of a CoreDNS pod's DNS server (see startDns in src/linux/supervisor.ts): the
# recorded process. Started in the pod's network namespace, it runs the server as its child
# and restarts it when it dies (watchdog.py, shared with the pod servers' supervisor_binder.py).
# SIGHUP (a change's reload) is passed on once the server has said it serves (<base>.ready
# names its pid): one that starts meanwhile loads the state itself. SIGTERM/SIGINT stop both.
# argv: base path, the cluster's state dir, then the server's command line.
import json, os, signal, sys
from watchdog import Watchdog

base, state_dir = sys.argv[1:3]
cmd = sys.argv[3:]
hup_pending = False


def serving():
    try:
        with open(base + ".ready") as f:
            return dog.child != 0 and json.load(f).get("pid") == dog.child
    except (OSError, ValueError):
        return False


def forward_hup():
    global hup_pending
    if serving():
        hup_pending = False
        dog.signal_child(signal.SIGHUP)


def on_hup(sig, frame):
    global hup_pending
    hup_pending = True
    forward_hup()


def tick():
    if hup_pending:
        forward_hup()


def on_restart():
    global hup_pending
    hup_pending = False  # the new server loads the state as it starts


dog = Watchdog(
    base,
    "dns watchdog",
    argv=lambda: cmd,
    env=lambda: dict(os.environ, PODNET_RESTARTS=str(dog.restarts)),
    keep_going=lambda: os.path.isdir(state_dir),
    passed=(signal.SIGHUP,),
    tick=tick,
)
signal.signal(signal.SIGHUP, on_hup)
dog.run(on_restart)

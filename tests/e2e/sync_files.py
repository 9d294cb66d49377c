"""Step synchronisation between an e2e test script and a client it runs in a namespace: the
client writes SYNC_DIR/stepN when it is there and waits for the files the script creates."""
import os
import time


def wait_for(path, limit=30):
    end = time.time() + limit
    while not os.path.exists(path):
        if time.time() > end:
            raise SystemExit("timed out waiting for " + path)
        time.sleep(0.05)


def mark(sync_dir, name):
    open(os.path.join(sync_dir, name), "w").close()

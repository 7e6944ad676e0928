"""kazoo's Lock and Election recipes against a TabKeeper cluster through the ZooKeeper listener.

Usage: python3 kazoo_recipes.py HOSTS [HOSTS ...]   (one kazoo client per connect string)

Prints one JSON line: the order in which clients held the lock, whether two ever held it at
once, and the order in which they were elected. Run by e2e/zookeeper.spec.ts with Debian's
python3-kazoo (at /usr/bin/python3).
"""
import json
import sys
import threading

from kazoo.client import KazooClient

ROUNDS = 2
hosts = sys.argv[1:]
clients = [KazooClient(hosts=h, timeout=10) for h in hosts]
for client in clients:
    client.start(timeout=30)

# Lock: every client takes the lock ROUNDS times; the holders must never overlap.
holders = []
inside = [0]
overlap = [False]
guard = threading.Lock()


def lock_worker(index):
    lock = clients[index].Lock('/lock', 'client-%d' % index)
    for _ in range(ROUNDS):
        with lock:
            with guard:
                inside[0] += 1
                overlap[0] = overlap[0] or inside[0] > 1
                holders.append(index)
            threading.Event().wait(0.2)
            with guard:
                inside[0] -= 1


threads = [threading.Thread(target=lock_worker, args=(i,)) for i in range(len(clients))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(120)

# Election: everyone campaigns; each leader leads until told to step down, then the next leads.
leaders = []
elected = threading.Condition()
step_down = [threading.Event() for _ in clients]


def campaign(index):
    def lead():
        with elected:
            leaders.append(index)
            elected.notify_all()
        step_down[index].wait(60)

    clients[index].Election('/election', 'client-%d' % index).run(lead)


campaigners = [threading.Thread(target=campaign, args=(i,), daemon=True) for i in range(len(clients))]
for thread in campaigners:
    thread.start()
for round_index in range(len(clients)):
    with elected:
        elected.wait_for(lambda: len(leaders) > round_index, timeout=60)
    if len(leaders) <= round_index:
        break
    step_down[leaders[round_index]].set()
for thread in campaigners:
    thread.join(30)

print(json.dumps({'lock': holders, 'overlap': overlap[0], 'leaders': leaders}), flush=True)
for client in clients:
    client.stop()
    client.close()

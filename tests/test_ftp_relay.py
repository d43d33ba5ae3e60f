"""The relay to the Ministry: every stored file forwarded unchanged, once, across upstream
outages and crashes; readings of MQTT stations turned into files for it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fixtures.cli import iocgis
from tests.fixtures.ftp import Env, good
from tests.ftp_support import query, wait_until


def test_relay_forwards_every_file_unchanged_once_across_outages(ftp_env: Env):
    from sensors.ftp.relay import Relay
    from sensors.ftp.settings import RelaySettings

    settings = RelaySettings(url=f"ftp://ministry:m1n1stry@127.0.0.1:{ftp_env.up_port}",
                             folder="/province01", queue=ftp_env.queue, max_backoff_s=1.0)
    # a file of its own (and whatever the other FTP modules stored before) waits in the queue
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=4)
    own, own_data = good(ftp_env.codes[2], first)
    ftp_env.send(2, own, own_data)
    ftp_env.wait_state(ftp_env.codes[2], own)
    queued = sorted(p.name for p in ftp_env.queue.iterdir())
    waiting = query(ftp_env.url, "SELECT id, path FROM sensor.station_files"
                    " WHERE state = 'done' AND relayed_at IS NULL")
    # each a done file not yet relayed (none of the rejected or duplicates), this one among them
    assert set(queued) <= {f"{i}-{Path(path).name}" for i, path in waiting}
    assert any(q.endswith(own) for q in queued)
    ids = [int(q.split("-", 1)[0]) for q in queued]
    relay = Relay(settings, ftp_env.url)
    thread = threading.Thread(target=relay.run, kwargs={"poll": 0.2}, daemon=True)
    thread.start()  # the upstream is down: the relay backs off and retries
    try:
        time.sleep(1.5)
        assert len(list(ftp_env.queue.iterdir())) == len(queued) and relay.sent == 0
        ftp_env.upstream.start()
        assert wait_until(lambda: not any(ftp_env.queue.iterdir()), 60)
        # the upstream goes down and comes back: new files wait and then go
        ftp_env.upstream.stop()
        code = ftp_env.codes[0]
        t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
        name, data = good(code, t)
        ftp_env.send(0, name, data)
        ftp_env.wait_state(code, name)
        assert wait_until(lambda: any(ftp_env.queue.iterdir()), 10)
        ftp_env.upstream.start()
        assert wait_until(lambda: not any(ftp_env.queue.iterdir()), 60)
    finally:
        relay.stopping.set()
        thread.join(10)
    sent = {p.name: p.read_bytes() for p in ftp_env.up_dir.rglob("*.txt")}
    assert not list(ftp_env.up_dir.rglob(".*.part"))
    assert len(sent) == len(queued) + 1 == relay.sent
    local = {p.name.rsplit(".", 2)[0]: p.read_bytes() for p in ftp_env.root.rglob("*.done")}
    assert all(local[n] == b for n, b in sent.items())  # unchanged, byte for byte
    up = next(ftp_env.up_dir.rglob(name))
    assert up.parent.relative_to(ftp_env.up_dir).parts[:2] == ("province01", f"HN_IOC_{code}")
    # a crash after the upstream rename but before the queue entry was removed: not sent twice
    file_id = ftp_env.ledger(code, name)[0][4]
    (ftp_env.queue / f"{file_id}-{name}").write_bytes(data)
    relay2 = Relay(settings, ftp_env.url)
    relay2.run(once=True)
    assert (relay2.sent, relay2.skipped) == (0, 1)
    assert query(ftp_env.url, "SELECT count(*) FROM sensor.station_files WHERE state = 'done'"
                 " AND relayed_at IS NULL AND id = ANY(%s)", ids)[0][0] == 0


def test_files_for_mqtt_stations_go_to_the_relay_queue(ftp_env: Env, tmp_path: Path):
    code = ftp_env.codes[1]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=50)
    name, data = good(code, t)  # readings of the last two hours, whichever module ran before
    ftp_env.send(1, name, data)
    ftp_env.wait_state(code, name)
    out = iocgis(ftp_env.url, "relay", "produce", "--station", code, "--hours", "2",
              env={"IOC_RELAY_QUEUE": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    files = sorted(tmp_path.iterdir())
    assert files and all(p.name.startswith(f"mqtt-HN_IOC_{code}_") for p in files)
    from sensors.files.parser import parse_file

    parsed = parse_file(files[0].read_bytes(), files[0].name.removeprefix("mqtt-"))
    assert {x.symbol for x in parsed.lines} == {"PM2,5", "NO2", "CO", "Temp"}
    assert not parsed.rejects



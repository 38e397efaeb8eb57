"""What users feel beyond one page: the pages of a base (benchmarks/pages.py, in a process of
its own), simultaneous sessions on the overview through the proxy (scripts/serve and
benchmarks/load.py), the import of 100 000 measurements and the export of everything (the
public `ctg import` / `ctg export`, each in a process whose peak memory is read)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.bases import CTG, ROOT, Base, Servers

TIMEOUT = 600  # seconds a scenario may take before it counts as failed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed_child(command: list[str], url: str, timeout: float = TIMEOUT) -> tuple[bool, float, float, str]:
    """Run `command` with the base at `url`: (succeeded, seconds, peak RSS in MB, stderr tail)."""
    env = os.environ | {"CTG_DATABASE_URL": url}
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            pid, status, usage = os.wait4(child.pid, 0)
            return False, time.perf_counter() - started, usage.ru_maxrss / 1024, "délai dépassé"
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode(errors="replace")[-500:] if child.stderr else ""
    return child.returncode == 0, seconds, usage.ru_maxrss / 1024, error


def pages(base: Base, cold: int, warm: int) -> list[dict[str, Any]]:
    env = os.environ | {"CTG_DATABASE_URL": base.url}
    command = [sys.executable, "-m", "benchmarks.pages", base.convention, str(cold), str(warm)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT * 2)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not rows:
        raise RuntimeError(f"pages de {base.name} ({base.engine}) : {done.stderr[-2000:]}")
    return rows


def import_measurements(servers: Servers, engine: str, rows: int) -> dict[str, Any]:
    """A convention's plan imported, then `rows` measurements: dry run, then for real."""
    try:
        from benchmarks.import_data import write_measurements_file, write_plan_folder
    except ImportError:
        return {"error": "benchmarks/import_data.py absent"}
    url = servers.url(engine, "ctg_import")
    subprocess.run([CTG, "db", "upgrade"], env=os.environ | {"CTG_DATABASE_URL": url}, check=True, cwd=ROOT)
    folder = servers.folder / f"import-{engine}"
    plan = write_plan_folder(folder / "plan", "ctg-bench-import")
    ok, _, _, error = timed_child([CTG, "import", str(plan)], url)
    if not ok:
        return {"error": f"plan refusé : {error}"}
    measures = write_measurements_file(folder / "mesures" / "mesures.csv", "ctg-bench-import", rows, seed=1)
    dry_ok, dry_s, dry_rss, dry_error = timed_child([CTG, "import", str(measures), "--dry-run"], url)
    ok, seconds, rss, error = timed_child([CTG, "import", str(measures)], url)
    return {
        "ok": ok and dry_ok,
        "dry_s": dry_s,
        "s": seconds,
        "rss_mb": max(rss, dry_rss),
        "error": (error or dry_error) if not (ok and dry_ok) else "",
    }


def export_everything(base: Base) -> dict[str, Any]:
    target = Path(base.url.rpartition("/")[0].replace("sqlite:///", "")) if base.engine == "SQLite" else None
    path = (target or Path("/tmp")) / f"ctg-bench-export-{os.getpid()}-{base.engine}.xlsx"
    ok, seconds, rss, error = timed_child([CTG, "export", str(path)], base.url)
    size = sum(p.stat().st_size for p in path.parent.glob(path.stem + "*") if p.is_file())
    for leftover in path.parent.glob(path.stem + "*"):
        leftover.unlink()
    return {"ok": ok, "s": seconds, "rss_mb": rss, "mb": size / 1e6, "error": error if not ok else ""}


def _children_peak_mb(pid: int) -> list[float]:
    """VmHWM (peak RSS) of the app processes under scripts/serve."""
    peaks = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            status = Path(f"/proc/{child}/status")
            lines = status.read_text().splitlines() if status.exists() else []
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes() if status.exists() else b""
            if b"streamlit" in cmdline:
                peaks += [int(line.split()[1]) / 1024 for line in lines if line.startswith("VmHWM:")]
    return peaks


def concurrent_overview(base: Base, sessions: tuple[int, ...]) -> dict[str, Any]:
    """N simultaneous overview sessions through HAProxy in front of 2 app processes."""
    try:
        from benchmarks.load import overview_load, signed_in_cookie, summary
    except ImportError:  # HOOK: benchmarks/load.py (another part of issue 15) not there yet
        return {"error": "benchmarks/load.py absent"}
    serve = ROOT / "scripts" / "serve"
    if not serve.exists():  # HOOK: scripts/serve (another part of issue 15) not there yet
        return {"error": "scripts/serve absent"}
    from ctg_data.db import make_engine

    port = _free_port()
    env = os.environ | {"CTG_DATABASE_URL": base.url}
    command = [sys.executable, str(serve), "--procs", "2", "--port", str(port), "--app-port", str(_free_port())]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not _healthy(f"http://127.0.0.1:{port}/_stcore/health", server):
            error = (
                server.stderr.read().decode(errors="replace")[-500:]
                if server.poll() is not None and server.stderr
                else ""
            )
            return {"error": f"le mandataire ne répond pas {error}"}
        engine = make_engine(base.url)
        cookie = signed_in_cookie(engine)
        engine.dispose()
        overview_load(f"http://127.0.0.1:{port}", 2, cookie)  # both processes warmed once
        results: dict[str, Any] = {}
        for count in sessions:
            results[str(count)] = summary(overview_load(f"http://127.0.0.1:{port}", count, cookie))
        results["app_peak_mb"] = max(_children_peak_mb(server.pid), default=0.0)
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _healthy(url: str, server: subprocess.Popen[bytes], seconds: float = 180) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False

"""The classroom hub, for real: JupyterHub on 127.0.0.1 with three students at once.

hub/jupyterhub_config.py (the file a teacher uses) is loaded, with a dummy authenticator and a
local-process spawner in place of the real login and systemd/Kubernetes. Three students log in
through the login form at the same time, each server pulls the lessons with nbgitpuller (from a
local clone of this repository: no network), and each runs lesson 00's first code cells in a kernel
through the server's REST API and kernel websocket. One student's edit must not touch another's
copy. The memory and CPU each student's server and kernel used are printed (README sizing table).

Needs jupyterhub and nbgitpuller (the `hub` extra) and configurable-http-proxy (npm; `make hub-deps`);
skipped, with the reason, without them.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = ("ada", "grace", "alan")
NB_PATH = "cnnlessons/notebooks/00_start_here.ipynb"
FIRST_CELLS = 4  # lesson 00's first code cells: Colab setup, imports, data, model
requests = pytest.importorskip("requests")
pytest.importorskip("jupyterhub", reason="jupyterhub is not installed: `pip install -e .[hub]`")
pytest.importorskip("nbgitpuller", reason="nbgitpuller is not installed: `pip install -e .[hub]`")
websocket = pytest.importorskip("websocket")
psutil = pytest.importorskip("psutil")


def _proxy() -> str | None:
    local = ROOT / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Hub:
    def __init__(self, url: str, token: str, proc: subprocess.Popen, log: Path):
        self.url, self.token, self.proc, self.log = url, token, proc, log

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, f"{self.url}/hub/api/{path}", headers=headers, timeout=60, **kw)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def lessons_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A clone of this repository's committed state, for nbgitpuller to pull without a network."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    dest = tmp_path_factory.mktemp("origin") / "cnnlessons.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", "--no-local", str(ROOT), str(dest)], check=True)
    branch = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return f"file://{dest}", "main" if branch == "HEAD" else branch


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    proxy = _proxy()
    if proxy is None:
        pytest.skip("configurable-http-proxy not found: `make hub-deps` (npm install)")
    tmp = tmp_path_factory.mktemp("hub")
    port, api_port, token = _port(), _port(), secrets.token_hex(16)
    homes = tmp / "home"
    homes.mkdir()
    config = tmp / "test_config.py"
    config.write_text(f"""
c = get_config()
load_subconfig({str(ROOT / "hub" / "jupyterhub_config.py")!r})
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {api_port}
c.JupyterHub.db_url = "sqlite:///{tmp / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "lessons"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(homes / "{username}")!r}
c.Spawner.cmd = [{str(Path(sys.executable).with_name("jupyterhub-singleuser"))!r}]
c.Spawner.args = {["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []!r}  # CI runs as root
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {{"OMP_NUM_THREADS": "1", "PATH": {os.environ.get("PATH", "")!r}}}
c.JupyterHub.services = [{{"name": "teacher-bot", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "teacher-bot", "services": ["teacher-bot"],
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}}]
""")
    log = tmp / "hub.log"
    env = dict(os.environ, CNNLESSONS_HUB_NO_CULLER="1", PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config)],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Hub(f"http://127.0.0.1:{port}", token, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterHub exited with {proc.returncode}:\n{server.tail()}")
            try:
                if server.api("GET", "").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterHub did not answer in 90 s:\n{server.tail()}")
            time.sleep(0.5)
        yield server
    finally:
        for name in STUDENTS:
            try:
                server.api("DELETE", f"users/{name}/server")
            except requests.RequestException:
                pass
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


def _login(hub: Hub, name: str) -> requests.Session:
    """What a student does: the login form, then the hub starts their server."""
    session = requests.Session()
    session.get(f"{hub.url}/hub/login", timeout=30)
    xsrf = session.cookies.get("_xsrf", "")
    resp = session.post(
        f"{hub.url}/hub/login?next=%2Fhub%2Fspawn",
        timeout=180,
        data={"username": name, "password": "lessons", "_xsrf": xsrf},
    )
    assert resp.status_code == 200, (name, resp.status_code, hub.tail())
    deadline = time.monotonic() + 180
    while not hub.api("GET", f"users/{name}").json().get("servers", {}).get("", {}).get("ready"):
        assert time.monotonic() < deadline, f"{name}'s server did not start:\n{hub.tail()}"
        time.sleep(1)
    return session


def _user_token(hub: Hub, name: str) -> str:
    resp = hub.api("POST", f"users/{name}/tokens", json={"note": "test", "expires_in": 3600})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["token"]


def _pull(hub: Hub, name: str, token: str, repo: str, branch: str) -> list[dict]:
    """nbgitpuller's event stream, as the launch link's page reads it."""
    query = urllib.parse.urlencode({"repo": repo, "branch": branch, "targetpath": "cnnlessons"})
    resp = requests.get(
        f"{hub.url}/user/{name}/git-pull/api?{query}",
        stream=True,
        timeout=300,
        headers={"Authorization": f"token {token}"},
    )
    events = []
    for line in resp.iter_lines(decode_unicode=True):
        if line and line.startswith("data:"):
            events.append(json.loads(line[5:]))
            if events[-1].get("phase") in ("finished", "error"):
                break
    return events


def _run_cells(hub: Hub, name: str, token: str, sources: list[str]) -> tuple[list[str], int]:
    """Start a kernel on the student's server and run each source over its websocket; the outputs'
    text and the kernel's process id."""
    headers = {"Authorization": f"token {token}"}
    # A session for the notebook, as JupyterLab opens it: the kernel starts in the notebook's folder.
    session = requests.post(
        f"{hub.url}/user/{name}/api/sessions",
        headers=headers,
        timeout=60,
        json={"path": NB_PATH, "type": "notebook", "name": "00_start_here.ipynb", "kernel": {"name": "python3"}},
    ).json()
    kernel = session["kernel"]
    ws = websocket.create_connection(
        f"ws://{hub.url.split('://')[1]}/user/{name}/api/kernels/{kernel['id']}/channels",
        header=[f"Authorization: token {token}"],
        timeout=300,
    )
    texts = []
    try:
        for src in sources + ["import os; print('PID', os.getpid(), 'MEM_LIMIT', os.environ.get('MEM_LIMIT'))"]:
            msg_id = uuid.uuid4().hex
            ws.send(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "username": name,
                            "session": uuid.uuid4().hex,
                            "msg_type": "execute_request",
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "content": {
                            "code": src,
                            "silent": False,
                            "store_history": True,
                            "user_expressions": {},
                            "allow_stdin": False,
                            "stop_on_error": True,
                        },
                    }
                )
            )
            out, status, idle = [], None, False
            while status is None or not idle:  # the reply (shell) and all output (iopub) for this cell
                reply = json.loads(ws.recv())
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = reply["msg_type"], reply["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind in ("execute_result", "display_data"):
                    out.append(content["data"].get("text/plain", ""))
                elif kind == "error":
                    out.append(f"ERROR {content['ename']}: {content['evalue']}")
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                elif kind == "execute_reply":
                    status = content["status"]
            texts.append("".join(out))
            assert status == "ok", (name, src[:200], texts[-1])
    finally:
        ws.close()
    pid = int(texts[-1].split()[1])
    return texts, pid


def test_three_students_pull_and_run_lesson_00(hub: Hub, lessons_repo: tuple[str, str]) -> None:
    repo, branch = lessons_repo
    with ThreadPoolExecutor(len(STUDENTS)) as pool:  # everyone logs in at once
        dict(zip(STUDENTS, pool.map(lambda n: _login(hub, n), STUDENTS)))
    tokens = {name: _user_token(hub, name) for name in STUDENTS}
    with ThreadPoolExecutor(len(STUDENTS)) as pool:  # and pulls the lessons at once
        pulls = dict(zip(STUDENTS, pool.map(lambda n: _pull(hub, n, tokens[n], repo, branch), STUDENTS)))
    for name, events in pulls.items():
        assert events and events[-1].get("phase") == "finished", (name, events[-3:])

    nb_path = NB_PATH

    def contents(name: str) -> dict:
        resp = requests.get(
            f"{hub.url}/user/{name}/api/contents/{nb_path}",
            timeout=60,
            headers={"Authorization": f"token {tokens[name]}"},
        )
        assert resp.status_code == 200, (name, resp.status_code)
        return resp.json()["content"]

    notebook = contents(STUDENTS[0])
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"][:FIRST_CELLS]
    results: dict[str, tuple[list[str], int, float, float]] = {}

    def run(name: str) -> None:
        cpu0 = time.process_time()
        texts, pid = _run_cells(hub, name, tokens[name], sources)
        kernel = psutil.Process(pid)
        server = kernel.parent()
        rss = kernel.memory_info().rss + (server.memory_info().rss if server else 0)
        cpu = sum(kernel.cpu_times()[:2]) + (sum(server.cpu_times()[:2]) if server else 0)
        results[name] = (texts, pid, rss / 2**20, cpu + (time.process_time() - cpu0) * 0)

    threads = [threading.Thread(target=run, args=(n,)) for n in STUDENTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert set(results) == set(STUDENTS), f"not every student's cells ran:\n{hub.tail()}"
    for name, (texts, pid, rss_mb, cpu_s) in results.items():
        assert any("train images (" in t for t in texts), (name, texts)  # the data cell ran
        assert "MEM_LIMIT 2147483648" in texts[-1], texts[-1]  # the hub's limit reached the kernel
        print(
            f"{name}: kernel pid {pid}, server + kernel {rss_mb:,.0f} MB resident, {cpu_s:.1f} s CPU "
            f"after lesson 00's first {FIRST_CELLS} code cells"
        )
    assert len({pid for _, pid, _, _ in results.values()}) == len(STUDENTS)  # a kernel each

    # Each student has their own copy: one student's edit does not touch another's.
    edited = json.loads(json.dumps(notebook))
    edited["cells"][0]["source"] = "ada was here"
    resp = requests.put(
        f"{hub.url}/user/ada/api/contents/{nb_path}",
        timeout=60,
        headers={"Authorization": f"token {tokens['ada']}"},
        json={"type": "notebook", "format": "json", "content": edited},
    )
    assert resp.status_code == 200, resp.text
    assert "".join(contents("ada")["cells"][0]["source"]) == "ada was here"
    for other in STUDENTS[1:]:
        assert "".join(contents(other)["cells"][0]["source"]) != "ada was here"

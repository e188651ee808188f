"""JupyterHub for one class on one server (up to about 100 students): the lessons' hub.

Used as is on a plain Linux server (`jupyterhub -f hub/jupyterhub_config.py`), or, on The Littlest
JupyterHub, by copying it to /opt/tljh/config/jupyterhub_config.d/cnnlessons.py (TLJH already sets
the authenticator and the systemd spawner; see hub/README.md). Every student gets their own server
and home folder; the lessons arrive through nbgitpuller links (one per lesson, in the README).

Sizes come from the measured peaks (README, "A classroom hub"): a lesson's kernel peaks at about
1.2-1.5 GB and needs one core's worth of CPU to run in about 2 minutes.
"""
import os

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

# Students open JupyterLab in their own folder.
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"

# Memory: a lesson peaks under 1.5 GB; 2 GB is the limit (like Binder), 1 GB the guarantee. The
# lessons read MEM_LIMIT (set by the spawner from mem_limit) for their own memory check.
c.Spawner.mem_limit = os.environ.get("CNNLESSONS_MEM_LIMIT", "2G")
c.Spawner.mem_guarantee = os.environ.get("CNNLESSONS_MEM_GUARANTEE", "1G")
# CPU: one core per student while they train; the package sets torch's threads from this quota.
c.Spawner.cpu_limit = float(os.environ.get("CNNLESSONS_CPU_LIMIT", "1"))
c.Spawner.cpu_guarantee = float(os.environ.get("CNNLESSONS_CPU_GUARANTEE", "0.5"))

# Idle servers are stopped after an hour so memory goes back to the class.
c.JupyterHub.services = [
    {"name": "idle-culler", "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=3600"]},
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
     "services": ["idle-culler"]},
]
if os.environ.get("CNNLESSONS_HUB_NO_CULLER"):  # the local test runs without the culler package
    c.JupyterHub.services, c.JupyterHub.load_roles = [], []

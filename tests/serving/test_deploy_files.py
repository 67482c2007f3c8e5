"""deploy/ and the Dockerfile say the same as the app and the Makefile: body limit, install steps, what is copied."""

import re

import yaml

from app.settings import ROOT, Settings

DEPLOY = ROOT / "deploy"


def compose(name: str = "compose.yaml") -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def nginx_conf() -> str:
    return (DEPLOY / "nginx.conf").read_text()


def test_nginx_body_limit_equals_the_apps():
    size = re.search(r"client_max_body_size (\d+)m;", nginx_conf())
    assert size and int(size.group(1)) * 2**20 == Settings().max_body_bytes
    app_env = compose()["services"]["app"]["environment"]
    assert int(app_env["STRIDE_MAX_BODY_BYTES"]) == Settings().max_body_bytes


def test_nginx_streams_live_events_unbuffered():
    block = re.search(r"location ~ \^/api/live/\[\^/\]\+/events\$ \{(.*?)\}", nginx_conf(), flags=re.S)
    assert block and "proxy_buffering off;" in block.group(1) and "proxy_read_timeout 1h;" in block.group(1)
    assert "proxy_set_header Connection \"\";" in nginx_conf() and "proxy_http_version 1.1;" in nginx_conf()


def test_compose_runs_replicas_redis_nginx_with_health_checks_and_a_weights_volume():
    services = compose()["services"]
    assert services["app"]["deploy"]["replicas"] >= 2
    assert services["app"]["environment"]["STRIDE_REDIS_URL"].startswith("redis://redis:")
    assert "weights:/srv/stride/weights" in services["app"]["volumes"] and "weights" in compose()["volumes"]
    assert all("healthcheck" in service for service in services.values())
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    gpu = compose("compose.gpu.yaml")["services"]["app"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert gpu["environment"]["STRIDE_DEVICE"] == "cuda"


def test_dockerfile_installs_what_make_install_installs_and_copies_what_the_app_reads():
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    torch_line = re.search(r'pip install --quiet ("torch[^\n]*)', makefile).group(1)
    assert f"pip install {torch_line}" in dockerfile
    assert "pip install -e ." in dockerfile and re.search(r'pip install --quiet -e "\.\[test\]"', makefile)
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M))
    settings = Settings()
    needed = {"app", "pyproject.toml", *(p.relative_to(ROOT).parts[0] for p in (settings.lessons_dir,)),
              "static", "templates"}
    assert needed <= copied
    assert re.search(r'^CMD \["stride", "serve"\]', dockerfile, flags=re.M)

"""Starts a real `ferry server` over a quickstart home with tokens and puts
only AWS_ENDPOINT_URL, the keys and the region in the environment, as a
user of Ferry from boto3 and the SageMaker SDK would (docs/aws-api.md).

FERRY names a built ferry binary; without it the fixture builds one with
`go build` from the repository."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _ferry_binary(tmp):
    if os.environ.get("FERRY"):
        return os.environ["FERRY"]
    out = os.path.join(tmp, "ferry")
    subprocess.run(["go", "build", "-o", out, "./cmd/ferry"], cwd=REPO, check=True)
    return out


def _start(ferry, home, env, tmp):
    """Starts `ferry server` on a free port of 127.0.0.1 over home with a
    fresh admin token, and puts only AWS_ENDPOINT_URL, the token's keys and
    the region in os.environ. Returns the URL, the process and a function
    that restores the environment."""
    keys = json.loads(subprocess.run([ferry, "tokens", "create", "--name", "notebook", "--role", "admin", "--output", "json"],
                                     env=env, check=True, capture_output=True, text=True).stdout)
    log = open(os.path.join(tmp, "server.log"), "w+")
    proc = subprocess.Popen([ferry, "server", "--addr", "127.0.0.1:0"], env=env, stdout=log, stderr=log)
    url = None
    for _ in range(200):
        log.seek(0)
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read())
        if m:
            url = m.group(1)
            break
        time.sleep(0.05)
    if url is None:
        proc.kill()
        log.seek(0)
        raise RuntimeError("ferry server did not start: " + log.read())
    # The SageMaker SDK's own configuration file (the user's
    # ~/.config/sagemaker/config.yaml; SAGEMAKER_USER_CONFIG_OVERRIDE here, so
    # the test leaves the real one alone) names the default bucket: the SDK v2
    # derives the name from an STS call it sends to the regional AWS endpoint
    # whatever AWS_ENDPOINT_URL says, and skips that call when the bucket is
    # configured. Telemetry is off: the machine has no route to AWS.
    sdk_config = os.path.join(tmp, "sagemaker-config.yaml")
    with open(sdk_config, "w") as f:
        f.write("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"
                "      Session:\n        DefaultS3Bucket: sagemaker-us-east-1-000000000000\n")
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                            "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "SAGEMAKER_USER_CONFIG_OVERRIDE")}
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": keys["access_key_id"],
                       "AWS_SECRET_ACCESS_KEY": keys["secret_access_key"], "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_CONFIG_FILE": os.path.join(tmp, "none"), "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "none"),
                       "SAGEMAKER_USER_CONFIG_OVERRIDE": sdk_config})

    _forget_s3fs()

    def stop():
        _forget_s3fs()
        proc.terminate()
        proc.wait(timeout=10)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return url, stop


def _forget_s3fs():
    """s3fs keeps its filesystems (and the endpoint they were made with)
    for the process: each server's tests start with none."""
    try:
        import s3fs
    except ImportError:
        return
    s3fs.S3FileSystem.clear_instance_cache()


def _env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["FERRY_HOME"] = home
    return env


@pytest.fixture(scope="module")
def ferry_server():
    """A server over a quickstart home (a registered model and its endpoint)."""
    tmp = tempfile.mkdtemp(prefix="ferry-aws-")
    ferry = _ferry_binary(tmp)
    home = os.path.join(tmp, "home")
    env = _env(home)
    subprocess.run([ferry, "quickstart"], env=env, check=True, capture_output=True)
    url, stop = _start(ferry, home, env, tmp)
    yield {"url": url, "home": home, "ferry": ferry, "env": env}
    stop()


@pytest.fixture(scope="module")
def tutorial_server():
    """A server over an empty home whose ferry.yaml maps the tutorial's images
    (scikit-learn, XGBoost, the Lambda Python runtime) to this Python, as a
    SageMaker user's account would run them in containers."""
    tmp = tempfile.mkdtemp(prefix="ferry-aws-tutorial-")
    ferry = _ferry_binary(tmp)
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    with open(os.path.join(home, "ferry.yaml"), "w") as f:
        f.write("runtimes:\n")
        for image in ("*sagemaker-scikit-learn*", "*sagemaker-xgboost*", "*lambda/python*"):
            f.write("  - image: %s\n    command: [%s]\n" % (json.dumps(image), json.dumps(sys.executable)))
    env = _env(home)
    url, stop = _start(ferry, home, env, tmp)
    yield {"url": url, "home": home, "ferry": ferry, "env": env, "log": os.path.join(tmp, "server.log")}
    stop()

"""Static checks of deploy/ (run by scripts/check-deploy): what can be checked
without a container engine or a cluster. Prints one line per problem and
exits 1 if there is any."""
import glob
import json
import os
import re
import sys

import yaml

root = sys.argv[1] if len(sys.argv) > 1 else "deploy"
problems = []


def problem(path, text):
    problems.append(f"{path}: {text}")


def load_yaml(path):
    try:
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        problem(path, f"not YAML: {e}")
        return []


# Every YAML and JSON file parses.
documents = {}
for path in sorted(glob.glob(f"{root}/**/*.y*ml", recursive=True)):
    documents[path] = load_yaml(path)
for path in sorted(glob.glob(f"{root}/**/*.json", recursive=True)):
    try:
        with open(path) as f:
            json.load(f)
    except ValueError as e:
        problem(path, f"not JSON: {e}")


def check_compose(path, doc):
    services = doc.get("services") or {}
    if not services:
        problem(path, "no services")
    secrets = set((doc.get("secrets") or {}).keys())
    volumes = set((doc.get("volumes") or {}).keys())
    for name, service in services.items():
        where = f"service {name}"
        if "image" not in service and "build" not in service:
            problem(path, f"{where} has neither image nor build")
        depends = service.get("depends_on") or {}
        for other, spec in (depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends)):
            if other not in services:
                problem(path, f"{where} depends on {other}, which is not a service")
            condition = (spec or {}).get("condition", "service_started")
            if condition not in ("service_started", "service_healthy", "service_completed_successfully"):
                problem(path, f"{where}: unknown condition {condition}")
            if condition == "service_healthy" and other in services and "healthcheck" not in services[other]:
                problem(path, f"{where} waits for {other} to be healthy, but {other} has no healthcheck")
        for secret in service.get("secrets") or []:
            secret = secret if isinstance(secret, str) else secret.get("source")
            if secret not in secrets:
                problem(path, f"{where} uses secret {secret}, which is not declared")
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source")
            if source and not source.startswith((".", "/", "~")) and source not in volumes:
                problem(path, f"{where} mounts volume {source}, which is not declared")
        test = (service.get("healthcheck") or {}).get("test")
        if test is not None and not (isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL", "NONE")):
            problem(path, f"{where}: healthcheck test should be a list starting with CMD or CMD-SHELL")
        for key, value in (service.get("environment") or {}).items():
            if key in ("TALLY_SECRET_KEY",) and value:
                problem(path, f"{where} puts the secret key in the environment: use TALLY_SECRET_KEY_FILE and a secret")
    worker = services.get("worker")
    if worker is None:
        problem(path, "no worker service")
    elif "container_name" in worker or any(":" in str(p) for p in worker.get("ports") or []):
        problem(path, "the worker has a container_name or a fixed host port: --scale worker=N would clash")
    for required in ("postgres", "migrate", "scheduler", "worker", "tally-sim"):
        if required not in services:
            problem(path, f"no {required} service")


def grace_seconds(args):
    for i, arg in enumerate(args):
        if arg == "--grace-seconds" and i + 1 < len(args):
            return float(args[i + 1])
    return 25.0


def check_k8s(path, doc, secret_names):
    required = ("apiVersion", "kind") if doc.get("kind") == "Kustomization" else ("apiVersion", "kind", "metadata")
    for key in required:
        if key not in doc:
            problem(path, f"a document has no {key}")
            return
    kind = doc["kind"]
    if kind != "Kustomization" and not (doc.get("metadata") or {}).get("name"):
        problem(path, f"{kind} has no metadata.name")
    where = f"{kind} {(doc.get('metadata') or {}).get('name', '?')}"
    if kind == "Kustomization":
        for resource in doc.get("resources") or []:
            if not os.path.exists(os.path.join(os.path.dirname(path), resource)):
                problem(path, f"resource {resource} does not exist")
        return
    spec = doc.get("spec") or {}
    template = spec.get("template") or {}
    if kind in ("Deployment", "Job"):
        pod = template.get("spec") or {}
        if kind == "Deployment":
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            labels = (template.get("metadata") or {}).get("labels") or {}
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                problem(path, f"{where}: selector.matchLabels does not match the template's labels")
        containers = pod.get("containers") or []
        if not containers:
            problem(path, f"{where} has no containers")
        for container in containers:
            ports = {p.get("name") for p in container.get("ports") or []} | {p.get("containerPort") for p in container.get("ports") or []}
            for probe in ("livenessProbe", "readinessProbe"):
                port = ((container.get(probe) or {}).get("httpGet") or {}).get("port")
                if port is not None and port not in ports:
                    problem(path, f"{where}: {probe} uses port {port}, which the container does not declare")
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref and ref.get("name") not in secret_names:
                    problem(path, f"{where}: {env.get('name')} refers to Secret {ref.get('name')}, not defined in {os.path.dirname(path)}")
                if env.get("name") == "TALLY_SECRET_KEY" and "value" in env:
                    problem(path, f"{where}: TALLY_SECRET_KEY in plain text")
            if "memory" not in ((container.get("resources") or {}).get("limits") or {}):
                problem(path, f"{where}: container {container.get('name')} has no memory limit")
            args = container.get("args") or []
            if kind == "Deployment" and pod.get("terminationGracePeriodSeconds", 30) <= grace_seconds(args):
                problem(path, f"{where}: terminationGracePeriodSeconds is not above --grace-seconds")
        if kind == "Deployment" and "worker" in where:
            for container in containers:
                if not container.get("livenessProbe") or not container.get("readinessProbe"):
                    problem(path, f"{where}: the worker needs a liveness and a readiness probe")


def check_dockerfile(path):
    with open(path) as f:
        lines = [l.strip() for l in f.read().replace("\\\n", " ").splitlines()]
    instructions = [l for l in lines if l and not l.startswith("#")]
    stages = []
    for line in instructions:
        word = line.split()[0].upper()
        if word == "FROM":
            m = re.match(r"FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
            stages.append(m.group(2) if m and m.group(2) else None)
        if word == "ADD":
            problem(path, f"ADD fetches or unpacks implicitly; use COPY: {line}")
        if word in ("ENV", "ARG") and re.search(r"(SECRET|PASSWORD|TOKEN|_KEY)\b", line, re.I):
            problem(path, f"a secret-like {word} is baked into the image: {line}")
        if word == "COPY" and re.search(r"secret|\.pgpass|\.env\b", line, re.I):
            problem(path, f"COPY of something secret-like: {line}")
        m = re.match(r"COPY\s+--from=(\S+)", line, re.I)
        if m and m.group(1) not in stages:
            problem(path, f"COPY --from={m.group(1)} names no earlier stage")
    if len(stages) < 2:
        problem(path, "not multi-stage (expected a build and a runtime stage)")
    users = [l for l in instructions if l.upper().startswith("USER ")]
    if not users or users[-1].split()[1].split(":")[0] in ("root", "0"):
        problem(path, "the runtime stage does not switch to a non-root USER")
    if not any(re.match(r'ENTRYPOINT\s+\[\s*"tally"\s*\]', l) for l in instructions):
        problem(path, 'no ENTRYPOINT ["tally"]')


compose = f"{root}/compose.yaml"
if compose not in documents:
    problem(compose, "missing")
for doc in documents.get(compose, []):
    check_compose(compose, doc)

k8s_files = [p for p in documents if p.startswith(f"{root}/k8s/")]
if not k8s_files:
    problem(f"{root}/k8s", "no manifests")
secret_names = {d["metadata"]["name"] for p in k8s_files for d in documents[p]
                if isinstance(d, dict) and d.get("kind") == "Secret" and "metadata" in d}
kinds = set()
for path in k8s_files:
    for doc in documents[path]:
        if isinstance(doc, dict):
            check_k8s(path, doc, secret_names)
            kinds.add(doc.get("kind"))
for kind in ("Job", "Deployment", "Secret"):
    if kind not in kinds:
        problem(f"{root}/k8s", f"no {kind}")

dockerfile = f"{root}/Dockerfile"
if os.path.exists(dockerfile):
    check_dockerfile(dockerfile)
else:
    problem(dockerfile, "missing")

for line in problems:
    print(line)
print(f"check-deploy: {len(documents)} YAML files parsed, compose, k8s and Dockerfile checked: "
      + (f"{len(problems)} problems" if problems else "ok"), file=sys.stderr)
sys.exit(1 if problems else 0)

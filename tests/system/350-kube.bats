#!/usr/bin/env bats
# Kubernetes YAML: kube play runs Pods, Deployments, claims, ConfigMaps and
# Secrets as pods, containers and volumes; kube down removes them; kube
# generate describes containers and pods; the round trip gives them back.

load helpers

# A container that ends at SIGTERM (a shell as PID 1 ignores it otherwise).
LOOP='trap "exit 0" TERM; while :; do sleep 0.2; done'

# wait_http PORT PATH: the page served on 127.0.0.1:PORT, after it answers.
wait_http() {
  local i out
  for i in $(seq 60); do
    out=$(curl -sf "http://127.0.0.1:$1$2") && { echo "$out"; return 0; }
    sleep 0.1
  done
  return 1
}

@test "kube play: a pod of two containers, env from values, configmaps and secrets, a hostPort" {
  load_busybox
  port=$(free_port)
  cat >pod.yaml <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
  size: large
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  password: $(printf 's3cret' | base64)
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    tier: front
spec:
  restartPolicy: Never
  containers:
  - name: srv
    image: busybox
    command: ["sh", "-c"]
    args: ["mkdir -p /w && echo \"page \$COLOR \$PASSWORD\" >/w/i && exec httpd -f -p 8080 -h /w"]
    workingDir: /tmp
    env:
    - name: COLOR
      valueFrom:
        configMapKeyRef: {name: settings, key: color}
    - name: PASSWORD
      valueFrom:
        secretKeyRef: {name: creds, key: password}
    ports:
    - containerPort: 8080
      hostPort: $port
  - name: side
    image: busybox
    command: ["sh", "-c", '$LOOP']
    envFrom:
    - configMapRef: {name: settings}
      prefix: CM_
    env:
    - {name: PLAIN, value: "a b"}
EOF
  tug_ok kube play pod.yaml
  # podman's report: Pod:, the pod's id, Containers:, one id per container.
  [[ "$output" =~ ^Pod:$'\n'[0-9a-f]{64}$'\n'Containers:$'\n'[0-9a-f]{64}$'\n'[0-9a-f]{64}$ ]]
  pod_id=$(sed -n 2p <<<"$output")
  tug_ok pod inspect --format '{{.Id}} {{.Name}} {{.State}} {{.NumContainers}}' web
  assert_output_equals "$pod_id web Running 3"
  tug_ok pod inspect --format '{{.Labels.tier}}' web
  assert_output_equals "front"
  # Containers are named POD-CONTAINER, as podman names them.
  tug_ok ps --format '{{.Names}}' --filter name=web-
  assert_output_contains "web-srv"
  assert_output_contains "web-side"
  run wait_http "$port" /i
  assert_success
  assert_output_equals "page blue s3cret"
  tug_ok exec web-side sh -c 'echo "$CM_color $CM_size $PLAIN"; pwd'
  assert_output_equals "blue large a b
/"
  tug_ok exec web-srv pwd
  assert_output_equals "/tmp"
  # The members share the pod's network: the sidecar reaches the server on localhost.
  tug_ok exec web-side wget -qO- http://127.0.0.1:8080/i
  assert_output_equals "page blue s3cret"
  tug_ok inspect --format '{{.HostConfig.RestartPolicy.Name}}' web-srv
  assert_output_equals "no"
  # A hostPort in use: a clear error, and the second pod is not left behind.
  printf 'kind: Pod\nmetadata: {name: clash}\nspec:\n  containers:\n  - {name: c, image: busybox, command: [sleep, "600"], ports: [{containerPort: 80, hostPort: %s}]}\n' "$port" >clash.yaml
  run_tug kube play clash.yaml
  assert_error 125 "clash.yaml: document 1 (Pod clash): cannot publish port $port/tcp"
  assert_output_contains "already in use"
  run_tug pod exists clash
  assert_status 1
  run_tug container exists clash-c
  assert_status 1
}

@test "kube play: hostPath, claims, configMap and secret volumes, emptyDir shared, init containers first" {
  load_busybox
  cat >vols.yaml <<EOF
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: dbdata
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data:
  app.conf: "listen 80"
---
apiVersion: v1
kind: Secret
metadata: {name: tls}
stringData:
  key.pem: "KEY"
---
apiVersion: v1
kind: Pod
metadata: {name: vp}
spec:
  initContainers:
  - name: prep
    image: busybox
    command: ["sh", "-c", "echo prepared >/scratch/ready; echo init-ran >>/host/log"]
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: host, mountPath: /host}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", 'echo main-ran >>/host/log; echo stored >/db/f; $LOOP']
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: host, mountPath: /host}
    - {name: db, mountPath: /db}
    - {name: cfg, mountPath: /etc/app}
    - {name: sec, mountPath: /secrets}
  - name: reader
    image: busybox
    command: ["sh", "-c", '$LOOP']
    volumeMounts:
    - {name: scratch, mountPath: /s, readOnly: true}
  volumes:
  - name: scratch
    emptyDir: {}
  - name: host
    hostPath: {path: $TEST_DIR/hostdir, type: DirectoryOrCreate}
  - name: db
    persistentVolumeClaim: {claimName: dbdata}
  - name: cfg
    configMap: {name: conf}
  - name: sec
    secret: {secretName: tls}
EOF
  tug_ok kube play vols.yaml
  assert_output_contains "dbdata"
  # The init container ran to its end before the others started, and is gone.
  for i in $(seq 50); do [ "$(cat hostdir/log 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
  run cat hostdir/log
  assert_output_equals "init-ran
main-ran"
  run_tug container exists vp-prep
  assert_status 1
  tug_ok exec vp-reader cat /s/ready
  assert_output_equals "prepared"
  run_tug exec vp-reader sh -c 'echo x >/s/new'
  assert_failure
  tug_ok exec vp-main cat /etc/app/app.conf /secrets/key.pem
  assert_output_equals "listen 80KEY"
  run_tug exec vp-main sh -c 'echo x >/etc/app/other'
  assert_failure
  tug_ok volume ls --format '{{.Name}}'
  assert_output_contains "dbdata"
  assert_output_contains "conf"
  assert_output_contains "vp-scratch"
  mp=$("$TUG" volume inspect --format '{{.Mountpoint}}' dbdata)
  for i in $(seq 50); do [ -s "$mp/f" ] && break; sleep 0.1; done
  [ "$(cat "$mp/f")" = stored ]

  # kube down: pods and containers go, the pod's emptyDir too; claims stay.
  tug_ok kube down vols.yaml
  assert_output_contains "Pods removed:"
  tug_ok pod ps -q
  assert_output_equals ""
  tug_ok ps -aq
  assert_output_equals ""
  tug_ok volume ls --format '{{.Name}}'
  assert_output_contains "dbdata"
  assert_output_not_contains "vp-scratch"
  # Played again, the claim's data is still there; down --force takes the volumes.
  tug_ok kube play vols.yaml
  tug_ok exec vp-main cat /db/f
  assert_output_equals "stored"
  tug_ok kube down --force vols.yaml
  assert_output_contains "Volumes removed:"
  tug_ok volume ls -q
  assert_output_equals ""
}

@test "kube play: a failing init container fails the play and leaves nothing" {
  load_busybox
  cat >bad.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  initContainers:
  - {name: fail, image: busybox, command: ["sh", "-c", "exit 3"]}
  containers:
  - {name: main, image: busybox, command: ["sleep", "60"]}
  volumes: []
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: never}
EOF
  run_tug kube play bad.yaml
  assert_error 125 "init container fail exited with code 3"
  assert_output_contains "document 1 (Pod bad)"
  tug_ok pod ps -q
  assert_output_equals ""
  tug_ok ps -aq
  assert_output_equals ""
}

@test "kube play: securityContext, resources, restartPolicy and liveness probes become container settings" {
  load_busybox
  cat >sec.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  restartPolicy: OnFailure
  containers:
  - name: c
    image: busybox
    command: ["sleep", "600"]
    securityContext:
      capabilities: {add: [NET_ADMIN], drop: [CHOWN]}
      readOnlyRootFilesystem: true
      runAsUser: 1000
      runAsGroup: 1001
      allowPrivilegeEscalation: false
    resources:
      limits: {memory: 64Mi, cpu: 500m}
    livenessProbe:
      exec: {command: ["true"]}
      periodSeconds: 1
  - name: http
    image: busybox
    command: ["sleep", "600"]
    livenessProbe:
      httpGet: {path: /health, port: 8080}
  - name: tcp
    image: busybox
    command: ["sleep", "600"]
    securityContext: {privileged: true}
    livenessProbe:
      tcpSocket: {port: 5432}
      initialDelaySeconds: 7
      timeoutSeconds: 2
      failureThreshold: 4
EOF
  tug_ok kube play --start=false sec.yaml
  tug_ok pod inspect --format '{{.State}}' sec
  assert_output_equals "Created"
  tug_ok inspect --format '{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.SecurityOpt}}' sec-c
  assert_output_equals "[NET_ADMIN] [CHOWN] true 1000:1001 on-failure 67108864 500000000 [no-new-privileges]"
  tug_ok inspect --format '{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}' sec-c
  assert_output_equals "[CMD true] 1000000000"
  tug_ok inspect --format '{{.Config.Healthcheck.Test}}' sec-http
  assert_output_contains "CMD-SHELL"
  assert_output_contains "http://localhost:8080/health"
  tug_ok inspect --format '{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.StartPeriod}} {{.Config.Healthcheck.Timeout}} {{.Config.Healthcheck.Retries}} {{.HostConfig.Privileged}}' sec-tcp
  assert_output_equals "[CMD-SHELL nc -z localhost 5432] 7000000000 2000000000 4 true"
  # The exec probe runs under the monitor once the pod starts.
  tug_ok pod start sec
  for i in $(seq 50); do
    st=$("$TUG" inspect --format '{{.State.Health.Status}}' sec-c)
    [ "$st" = healthy ] && break
    sleep 0.2
  done
  [ "$st" = healthy ]
  tug_ok exec sec-c id -u
  assert_output_equals "1000"
}

@test "kube play: a Deployment's replicas are pods; many replicas warn" {
  load_busybox
  cat >dep.yaml <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", '$LOOP']
EOF
  tug_ok kube play dep.yaml
  tug_ok pod ps --format '{{.Name}} {{.Status}}'
  [ "$(sort <<<"$output")" = "app-pod-0 Running
app-pod-1 Running" ]
  tug_ok container exists app-pod-0-c
  tug_ok kube play --down dep.yaml
  tug_ok pod ps -q
  assert_output_equals ""
  sed -i 's/replicas: 2/replicas: 7/' dep.yaml
  run_tug kube play --start=false dep.yaml
  assert_success
  assert_output_contains "7 replicas"
  [ "$(grep -c '^Pod:' <<<"$output")" -eq 7 ]
  tug_ok kube down dep.yaml
  tug_ok pod ps -q
  assert_output_equals ""
}

@test "kube play: bad input names the file, the document and the field; nothing is left" {
  load_busybox
  printf 'kind: Pod\nmetadata: {name: x\n' >malformed.yaml
  run_tug kube play malformed.yaml
  assert_error 125 "malformed.yaml:"
  assert_output_contains "malformed YAML"

  printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: early}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n' >kind.yaml
  run_tug kube play kind.yaml
  assert_error 125 'kind.yaml:6: document 2: kind: unsupported kind "Job"'
  tug_ok volume ls -q
  assert_output_equals ""

  cat >field.yaml <<'EOF'
kind: Pod
metadata: {name: fp}
spec:
  containers:
  - name: c
    image: busybox
    command: ["true"]
    lifecycle: {preStop: {exec: {command: ["true"]}}}
  nodeName: somewhere
EOF
  run_tug kube play --start=false field.yaml
  assert_success
  assert_output_contains "field spec.containers[0].lifecycle is not supported by tug: ignored"
  assert_output_contains "field spec.nodeName is not supported by tug: ignored"
  # A name clash with an existing pod, unless --replace.
  run_tug kube play --start=false field.yaml
  assert_error 125 'the pod name "fp" is already in use'
  old=$("$TUG" pod inspect --format '{{.Id}}' fp)
  tug_ok kube play --replace --start=false field.yaml
  new=$("$TUG" pod inspect --format '{{.Id}}' fp)
  [ "$old" != "$new" ]

  sed 's/name: fp/name: np/; s/image: busybox/image: nosuchimage/' field.yaml >noimg.yaml
  run_tug kube play noimg.yaml
  assert_error 125 "nosuchimage"
  run_tug pod exists np
  assert_status 1

  cat >nocm.yaml <<'EOF'
kind: Pod
metadata: {name: cmp}
spec:
  containers:
  - name: c
    image: busybox
    env:
    - name: X
      valueFrom: {configMapKeyRef: {name: missing, key: k}}
EOF
  run_tug kube play nocm.yaml
  assert_error 125 'env X: configmap "missing" not found'
  run_tug pod exists cmp
  assert_status 1
  # ... which --configmap can provide.
  printf 'kind: ConfigMap\nmetadata: {name: missing}\ndata: {k: from-file}\n' >cm.yaml
  sed -i 's/image: busybox/image: busybox\n    command: ["sh", "-c", "echo $X; sleep 600"]/' nocm.yaml
  tug_ok kube play --start=false --configmap cm.yaml nocm.yaml
  tug_ok inspect --format '{{.Config.Env}}' cmp-c
  assert_output_contains "X=from-file"

  run_tug kube play nosuchfile.yaml
  assert_error 125 "nosuchfile.yaml: no such file or directory"
  run_tug kube play
  assert_failure
  run_tug kube frob
  assert_failure
}

@test "kube play (as play kube) reads stdin and joins --network; kube down of a file of nothing there is quiet" {
  load_busybox
  tug_ok network create kubenet
  printf 'kind: Pod\nmetadata: {name: sp}\nspec:\n  containers:\n  - {name: c, image: busybox, command: ["sleep", "600"]}\n' |
    "$TUG" play kube --start=false --network kubenet - >out.txt
  grep -q '^Pod:' out.txt
  infra=$("$TUG" pod inspect --format '{{.InfraContainerID}}' sp)
  tug_ok inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$infra"
  assert_output_equals "kubenet"
  printf 'kind: Pod\nmetadata: {name: sp}\nspec:\n  containers:\n  - {name: c, image: busybox}\n' >sp.yaml
  tug_ok kube down sp.yaml
  assert_output_contains "Pods removed:"
  tug_ok kube down sp.yaml
  assert_output_equals ""
}

@test "kube generate: what the user changed, as podman writes it; deployment, service, file" {
  load_busybox
  port=$(free_port)
  mkdir hostdir
  tug_ok create --name gen -e FOO=bar -w /tmp -p "$port:80" -v "$TEST_DIR/hostdir:/h:ro" \
    -v gvol:/data --cap-add NET_ADMIN --cap-drop CHOWN --read-only -u 1000:1001 \
    --memory 64m --cpus 1.5 --restart on-failure busybox sleep 600
  tug_ok kube generate gen
  y=$output
  echo "$y" >gen-out.yaml
  [[ "$y" == "# Save the output of this file and use kubectl create -f to import"* ]]
  grep -qx 'apiVersion: v1' <<<"$y"
  grep -qx 'kind: Pod' <<<"$y"
  grep -q '^  name: gen-pod$' <<<"$y"
  grep -q 'image: docker.io/library/busybox:latest' <<<"$y"
  grep -q 'restartPolicy: OnFailure' <<<"$y"
  python3 - "$port" "$TEST_DIR/hostdir" gen-out.yaml <<'EOF'
import sys, yaml
port, hostdir = int(sys.argv[1]), sys.argv[2]
doc = yaml.safe_load(open(sys.argv[3]))
c = doc["spec"]["containers"][0]
assert c["name"] == "gen", c
assert "command" not in c and c["args"] == ["sleep", "600"], c
assert c["env"] == [{"name": "FOO", "value": "bar"}], c["env"]
assert c["workingDir"] == "/tmp"
assert c["ports"] == [{"containerPort": 80, "hostPort": port}], c["ports"]
sc = c["securityContext"]
assert sc["capabilities"] == {"add": ["CAP_NET_ADMIN"], "drop": ["CAP_CHOWN"]}, sc
assert sc["readOnlyRootFilesystem"] is True and sc["runAsUser"] == 1000 and sc["runAsGroup"] == 1001, sc
assert c["resources"]["limits"] == {"memory": str(64 << 20), "cpu": "1500m"}, c["resources"]
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in doc["spec"]["volumes"]}
h = vols[mounts["/h"]["name"]]
assert mounts["/h"]["readOnly"] is True and h["hostPath"]["path"] == hostdir, h
assert vols[mounts["/data"]["name"]]["persistentVolumeClaim"]["claimName"] == "gvol"
assert doc["metadata"]["labels"]["app"] == "gen-pod"
EOF
  tug_ok kube generate --type deployment --service gen
  echo "$output" >dep-out.yaml
  python3 - dep-out.yaml <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert [d["kind"] for d in docs] == ["Service", "Deployment"], docs
s, d = docs
assert d["apiVersion"] == "apps/v1" and d["spec"]["replicas"] == 1
assert d["spec"]["template"]["spec"]["containers"][0]["name"] == "gen"
assert s["spec"]["type"] == "NodePort" and s["spec"]["selector"] == {"app": "gen-pod"}
p = s["spec"]["ports"][0]
assert p["port"] == 80 and p["targetPort"] == 80 and 30000 <= p["nodePort"] <= 32767, p
EOF
  # `generate kube` is the same command; -f writes a file and never overwrites one.
  tug_ok generate kube -f gen.yaml gen
  grep -q 'kind: Pod' gen.yaml
  run_tug kube generate -f gen.yaml gen
  assert_error 125 "the file exists"
  run_tug kube generate nosuchctr
  assert_error 125 'name or ID "nosuchctr" not found'
  run_tug kube generate --type job gen
  assert_error 125 'invalid type "job"'
}

@test "round trip: generate of a running pod, kube down, kube play gives the same pod" {
  load_busybox
  port=$(free_port)
  mkdir hostdir
  echo hostfile >hostdir/f
  tug_ok pod create --name rt -p "$port:8080"
  tug_ok run -d --pod rt --name rt-web -e GREETING=hello -v "$TEST_DIR/hostdir:/h:ro" -v rtvol:/data \
    busybox sh -c 'mkdir -p /w; cat /h/f >/w/i; echo "$GREETING" >>/w/i; httpd -f -p 8080 -h /w & trap "exit 0" TERM; wait'
  tug_ok run -d --pod rt --name rt-side --workdir /data busybox sh -c "$LOOP"
  run wait_http "$port" /i
  assert_output_equals "hostfile
hello"
  snapshot() {
    local c
    for c in rt-web rt-side; do
      "$TUG" inspect --format '{{.ImageName}}|{{.Config.Cmd}}|{{.Config.Entrypoint}}|{{.Config.WorkingDir}}|{{.Config.Env}}' "$c"
      "$TUG" inspect --format '{{range .Mounts}}{{.Source}}:{{.Destination}}:{{.RW}} {{end}}' "$c" | sed "s|$XDG_DATA_HOME||g"
    done
    "$TUG" pod inspect --format '{{.InfraConfig.PortBindings}}' rt
  }
  before=$(snapshot)
  tug_ok kube generate rt
  echo "$output" >rt.yaml
  tug_ok kube down rt.yaml
  run_tug pod exists rt
  assert_status 1
  tug_ok volume exists rtvol
  tug_ok kube play rt.yaml
  after=$(snapshot)
  [ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; false; }
  run wait_http "$port" /i
  assert_output_equals "hostfile
hello"
}

teardown() {
  if [ -n "${PODMAN:-}" ]; then
    "${PODMAN[@]}" pod rm -f -a -t 0 >/dev/null 2>&1 || true
    "${PODMAN[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
    "${PODMAN[@]}" unshare rm -rf "$TEST_DIR/podman" >/dev/null 2>&1 || true
  fi
  tug_test_cleanup
}

@test "interop with podman 4.3: podman's YAML plays in tug, tug's in podman, and both serve" {
  command -v podman >/dev/null || skip "podman is not installed"
  load_busybox
  PODMAN=(podman --root "$TEST_DIR/podman" --runroot "$TEST_DIR/podman-run" --runtime runc
          --cgroup-manager=cgroupfs --events-backend=file)
  "${PODMAN[@]}" load -q -i "$BUSYBOX_TAR" >/dev/null || skip "podman cannot load images here"
  # A tag that is not :latest: podman's kube play pulls :latest images.
  "${PODMAN[@]}" tag "$("${PODMAN[@]}" images -q | head -1)" localhost/kbox:1
  tug_ok tag busybox localhost/kbox:1
  port=$(free_port)
  page='mkdir -p /w; echo "$PAGE" >/w/i; httpd -f -p 80 -h /w & trap "exit 0" TERM; wait'
  "${PODMAN[@]}" pod create --name pm -p "$port:80" >/dev/null
  "${PODMAN[@]}" run -d --pod pm --name web -e PAGE=from-podman -v pmvol:/data localhost/kbox:1 sh -c "$page" >/dev/null
  "${PODMAN[@]}" run -d --pod pm --name side localhost/kbox:1 sleep 600 >/dev/null
  "${PODMAN[@]}" generate kube pm >pm.yaml 2>/dev/null
  "${PODMAN[@]}" pod rm -f -t 0 pm >/dev/null
  tug_ok kube play pm.yaml
  run wait_http "$port" /i
  assert_output_equals "from-podman"
  tug_ok container exists pm-web
  tug_ok volume exists pmvol
  tug_ok kube down pm.yaml

  port=$(free_port)
  tug_ok pod create --name tp -p "$port:80"
  tug_ok run -d --pod tp --name tp-web -e PAGE=from-tug -v tpvol:/data localhost/kbox:1 sh -c "$page"
  tug_ok kube generate tp
  echo "$output" >tp.yaml
  tug_ok pod rm -f tp
  run "${PODMAN[@]}" kube play tp.yaml
  assert_success
  run wait_http "$port" /i
  assert_output_equals "from-tug"
  run "${PODMAN[@]}" container exists tp-web
  assert_success
  "${PODMAN[@]}" kube down tp.yaml >/dev/null
}

@test "quadlet: a .kube file becomes a unit that plays the YAML and takes it down" {
  load_busybox
  qdir=$XDG_CONFIG_HOME/containers/systemd
  mkdir -p "$qdir" out
  port=$(free_port)
  cat >"$qdir/app.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: qpod}
spec:
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", 'mkdir -p /w; echo "\$MSG" >/w/i; httpd -f -p 80 -h /w & trap "exit 0" TERM; wait']
    env:
    - name: MSG
      valueFrom: {configMapKeyRef: {name: qcm, key: msg}}
    ports:
    - {containerPort: 80, hostPort: 1}
EOF2
  printf 'kind: ConfigMap\nmetadata: {name: qcm}\ndata: {msg: from-quadlet}\n' >"$qdir/cm.yaml"
  printf '[Network]\nSubnet=10.89.9.0/24\n' >"$qdir/qnet.network"
  printf '[Unit]\nDescription=A kube unit\n\n[Kube]\nYaml=app.yaml\nPublishPort=%s:80\nConfigMap=cm.yaml\nNetwork=qnet.network\nAutoUpdate=local\n\n[Install]\nWantedBy=default.target\n' "$port" >"$qdir/app.kube"
  run "$TUG_PREFIX/lib/systemd/user-generators/tug-systemd-generator" "$TEST_DIR/out"
  assert_success
  [ -f out/app.service ]
  grep -qx "ExecStart=$TUG_PREFIX/bin/tug kube play --replace --publish $port:80 --configmap $qdir/cm.yaml --network systemd-qnet --annotation io.containers.autoupdate=local $qdir/app.yaml" out/app.service
  grep -qx "Environment=PODMAN_SYSTEMD_UNIT=%n" out/app.service
  grep -qx "ExecStop=$TUG_PREFIX/bin/tug kube down $qdir/app.yaml" out/app.service
  grep -qx "Requires=qnet-network.service" out/app.service
  run systemd-analyze verify --user out/app.service
  assert_success
  # What the unit would run, run here (no systemd in the tests).
  tug_ok network create systemd-qnet
  start=$(sed -n 's/^ExecStart=//p' out/app.service)
  PODMAN_SYSTEMD_UNIT=app.service run $start
  assert_success
  # Labelled for auto-update, which restarts the unit.
  tug_ok inspect --format '{{.Config.Labels}}' qpod-web
  assert_output_contains "io.containers.autoupdate:local"
  assert_output_contains "PODMAN_SYSTEMD_UNIT:app.service"
  tug_ok auto-update --dry-run --format '{{.Unit}} {{.Policy}} {{.Updated}}'
  assert_output_equals "app.service local false"
  run wait_http "$port" /i
  assert_output_equals "from-quadlet"
  stop=$(sed -n 's/^ExecStop=//p' out/app.service)
  run $stop
  assert_success
  run_tug pod exists qpod
  assert_status 1

  printf '[Kube]\nYaml=app.yaml\nFrob=1\n' >"$qdir/bad.kube"
  run "$TUG_PREFIX/lib/systemd/user-generators/tug-systemd-generator" --dryrun
  assert_output_contains "bad.kube:3"
  assert_output_contains "Frob"
  printf '[Kube]\nPublishPort=1:1\n' >"$qdir/bad.kube"
  run "$TUG_PREFIX/lib/systemd/user-generators/tug-systemd-generator" --dryrun
  assert_output_contains "no Yaml= in [Kube]"
}

@test "a WordPress-shaped compose stack, generated as one pod with a Service, plays on a clean store" {
  load_busybox
  port=$(free_port)
  mkdir wp && cd wp
  cat >compose.yaml <<EOF2
services:
  db:
    image: busybox
    command: ["sh", "-c", "mkdir -p /var/lib/db && echo hello from the database >/var/lib/db/i && httpd -f -p 3306 -h /var/lib/db & trap 'exit 0' TERM; wait"]
    environment:
      MYSQL_DATABASE: wordpress
    volumes: [db_data:/var/lib/db]
    networks: [backend]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:3306/i"]
      interval: 1s
  web:
    image: busybox
    depends_on:
      db: {condition: service_healthy}
    ports: ["127.0.0.1:$port:80"]
    environment: [WORDPRESS_DB_HOST=127.0.0.1:3306]
    command: ["sh", "-c", "mkdir /w; wget -qO- http://db:3306/i >/w/index.html; echo on \$\$WORDPRESS_DB_HOST >>/w/index.html; httpd -f -p 80 -h /w & trap 'exit 0' TERM; wait"]
    networks: [frontend, backend]
volumes:
  db_data:
networks:
  frontend:
  backend:
EOF2
  tug_ok compose up -d
  run wait_http "$port" /
  assert_output_equals "hello from the database
on 127.0.0.1:3306"
  tug_ok kube generate --service wp-db-1 wp-web-1
  echo "$output" >"$TEST_DIR/wp.yaml"
  grep -q 'kind: Service' "$TEST_DIR/wp.yaml"
  grep -q 'claimName: wp_db_data' "$TEST_DIR/wp.yaml"
  grep -q 'livenessProbe' "$TEST_DIR/wp.yaml"
  tug_ok compose down -v
  # A clean store: nothing of the compose project is left to lean on.
  tug_test_cleanup
  export XDG_DATA_HOME=$TEST_DIR/data2
  mkdir -p "$XDG_DATA_HOME"
  load_busybox
  # web now finds db on localhost, the pod's shared network.
  sed -i 's|http://db:3306/i|http://127.0.0.1:3306/i|' "$TEST_DIR/wp.yaml"
  tug_ok kube play "$TEST_DIR/wp.yaml"
  tug_ok container exists wp-db-1-pod-wp-web-1
  for i in $(seq 50); do
    out=$(curl -sf "http://127.0.0.1:$port/") && [[ "$out" == hello* ]] && break
    sleep 0.2
  done
  [ "$out" = "hello from the database
on 127.0.0.1:3306" ]
  for i in $(seq 50); do
    st=$("$TUG" inspect --format '{{.State.Health.Status}}' wp-db-1-pod-wp-db-1)
    [ "$st" = healthy ] && break
    sleep 0.2
  done
  [ "$st" = healthy ]
}

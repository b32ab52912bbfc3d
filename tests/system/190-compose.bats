#!/usr/bin/env bats
# tug compose: a WordPress-shaped project from the local busybox image (a
# "db" on a named volume and the backend network, a "web" on frontend and
# backend publishing a port), idempotent `up`, recreation of only what
# changed, `down -v`, interpolation from .env, file discovery and merging,
# one-off `run`, foreground `up` stopped by Ctrl-C, and clear errors.

load helpers

# The WordPress-shaped project in $TEST_DIR/wp, web published on $1.
write_stack() {
  mkdir -p "$TEST_DIR/wp"
  cd "$TEST_DIR/wp"
  printf 'WEB_PORT=%s\nDB_GREETING=hello from the database\n' "$1" >.env
  cat >compose.yaml <<'EOF'
services:
  db:
    image: busybox
    command: ["sh", "-c", "mkdir -p /var/lib/db && echo ${DB_GREETING} >/var/lib/db/i && echo db ready && exec httpd -f -p 3306 -h /var/lib/db"]
    environment:
      MYSQL_DATABASE: wordpress
    volumes:
      - db_data:/var/lib/db
    networks: [backend]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:3306/i"]
      interval: 1s
  web:
    image: busybox
    depends_on:
      db:
        condition: service_healthy
    ports:
      - "127.0.0.1:${WEB_PORT}:80"
    environment:
      - WORDPRESS_DB_HOST=db:3306
    command: sh -c 'mkdir /w; echo "wordpress on $$WORDPRESS_DB_HOST" >/w/index.html; exec httpd -f -p 80 -h /w'
    networks:
      - frontend
      - backend
volumes:
  db_data:
networks:
  frontend:
  backend:
EOF
}

@test "compose up -d: a WordPress-shaped stack on two networks, a volume and a published port" {
  load_busybox
  port=$(free_port)
  write_stack "$port"
  tug_ok compose up -d
  assert_output_contains "Network wp_backend  Created"
  assert_output_contains "Volume wp_db_data  Created"
  assert_output_contains "Container wp-db-1  Started"
  assert_output_contains "Container wp-web-1  Started"
  # db starts, and is healthy (its monitor ran the check), before web starts.
  [[ "$output" == *"wp-db-1  Started"*"wp-db-1  Healthy"*"wp-web-1  Started"* ]]
  tug_ok inspect --format '{{.State.Health.Status}}' wp-db-1
  assert_output_equals "healthy"

  tug_ok compose ps
  [[ "${lines[0]}" =~ ^NAME\ +IMAGE\ +COMMAND\ +SERVICE\ +CREATED\ +STATUS\ +PORTS$ ]]
  [[ "${lines[1]}" =~ ^wp-db-1\ +busybox\ +.*\ +db\ +.*Up ]]
  [[ "${lines[2]}" =~ ^wp-web-1\ +busybox\ +.*\ +web\ +.*Up.*127\.0\.0\.1:$port-\>80/tcp ]]
  tug_ok compose ps --services
  assert_output_equals $'db\nweb'

  # The published port, from the host.
  for i in $(seq 50); do out=$(curl -sf "http://127.0.0.1:$port/") && break; sleep 0.1; done
  [ "$out" = "wordpress on db:3306" ]
  tug_ok compose port web 80
  assert_output_equals "127.0.0.1:$port"
  # web reaches db by its service name; db's page came from .env.
  run_tug compose exec -T web sh -c \
    'for i in $(seq 30); do wget -qO- http://db:3306/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals "hello from the database"
  # db is on backend only: not on frontend.
  tug_ok inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' wp-web-1
  assert_output_equals "wp_backend wp_frontend "
  tug_ok inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' wp-db-1
  assert_output_equals "wp_backend "
  tug_ok inspect --format '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}} {{index .Config.Labels "com.docker.compose.project.working_dir"}}' wp-web-1
  assert_output_equals "wp web 1 False $TEST_DIR/wp"
  # The volume holds db's file.
  tug_ok volume inspect --format '{{.Mountpoint}}' wp_db_data
  [ "$(cat "$output/i")" = "hello from the database" ]
  tug_ok compose logs db
  assert_output_equals "db-1  | db ready"

  # up again: nothing changed, the same containers.
  before=$("$TUG" ps -aq --no-trunc | sort)
  tug_ok compose up -d
  assert_output_contains "Container wp-db-1  Running"
  [ "$("$TUG" ps -aq --no-trunc | sort)" = "$before" ]

  # Editing web's environment recreates web only.
  db_id=$("$TUG" inspect --format '{{.Id}}' wp-db-1)
  web_id=$("$TUG" inspect --format '{{.Id}}' wp-web-1)
  sed -i 's/WORDPRESS_DB_HOST=db:3306/WORDPRESS_DB_HOST=db:3306X/' compose.yaml
  tug_ok compose up -d
  assert_output_contains "Container wp-web-1  Recreated"
  [ "$("$TUG" inspect --format '{{.Id}}' wp-db-1)" = "$db_id" ]
  [ "$("$TUG" inspect --format '{{.Id}}' wp-web-1)" != "$web_id" ]
  for i in $(seq 50); do out=$(curl -sf "http://127.0.0.1:$port/") && [ "$out" = "wordpress on db:3306X" ] && break; sleep 0.1; done
  [ "$out" = "wordpress on db:3306X" ]

  # down -v: containers, networks and the named volume are gone.
  tug_ok compose down -v
  assert_output_contains "Container wp-web-1  Removed"
  assert_output_contains "Network wp_frontend  Removed"
  assert_output_contains "Volume wp_db_data  Removed"
  tug_ok ps -aq
  assert_output_equals ""
  tug_ok network ls -q
  assert_output_equals "podman"
  tug_ok volume ls -q
  assert_output_equals ""
}

@test "compose: default network and service names, stop/start/restart, run --rm, kill, rm, down keeps volumes" {
  load_busybox
  mkdir -p "$TEST_DIR/My App"
  cd "$TEST_DIR/My App"
  cat >docker-compose.yml <<'EOF'
services:
  api:
    image: busybox
    command: ["sh", "-c", "mkdir /w; echo api here >/w/i; exec httpd -f -p 80 -h /w"]
    stop_grace_period: 2s
  client:
    image: busybox
    entrypoint: ["sh", "-c"]
    command: ["trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    depends_on: [api]
    volumes:
      - cache:/cache
      - ./data:/data:ro
volumes:
  cache:
EOF
  mkdir data
  echo bound >data/f
  # The project is the directory's name, lowercased, kept to [a-z0-9_-].
  tug_ok compose up -d
  assert_output_contains "Network myapp_default  Created"
  tug_ok compose ps -q
  [ "$(line_count)" = 2 ]
  run_tug compose exec -T client sh -c \
    'for i in $(seq 30); do wget -qO- http://api/i && exit 0; sleep 0.1; done; exit 1'
  assert_success
  assert_output_equals "api here"
  # The bind source is relative to the project directory.
  tug_ok compose exec -T client cat /data/f
  assert_output_equals "bound"
  tug_ok compose exec -T -e GREETING=hi -w /cache client sh -c 'echo $GREETING $(pwd)'
  assert_output_equals "hi /cache"
  run_tug compose exec -T nope true
  assert_error 125 "no such service: nope"

  # A one-off container, labelled as such, removed with --rm.
  tug_ok compose run --rm -T api echo one-off
  assert_output_contains "one-off"
  tug_ok compose run -d -T --name once api sleep 30
  tug_ok inspect --format '{{index .Config.Labels "com.docker.compose.oneoff"}}' once
  assert_output_equals "True"
  # ps leaves one-off containers out.
  tug_ok compose ps --services
  assert_output_equals $'api\nclient'

  tug_ok compose stop
  tug_ok compose ps -a --format '{{.Service}} {{.State}}'
  assert_output_equals $'api exited\nclient exited'
  tug_ok compose ps -q
  assert_output_equals ""
  tug_ok compose start
  tug_ok compose ps --format '{{.Service}} {{.State}}'
  assert_output_equals $'api running\nclient running'
  id=$("$TUG" inspect --format '{{.Id}}' myapp-api-1)
  tug_ok compose restart api
  [ "$("$TUG" inspect --format '{{.Id}}' myapp-api-1)" = "$id" ]
  tug_ok compose kill client
  assert_output_contains "Container myapp-client-1  Killed"
  # kill returns once the signal is sent; the monitor records the exit.
  for i in $(seq 50); do
    run_tug compose ps -a --format '{{.Service}} {{.State}}' client
    [ "$output" = "client exited" ] && break
    sleep 0.1
  done
  assert_output_equals "client exited"
  tug_ok compose rm -f client
  tug_ok compose ps -a --services
  assert_output_equals "api"

  # down without -v keeps the volume; down removes the one-off container too.
  tug_ok compose down
  tug_ok ps -aq
  assert_output_equals ""
  tug_ok network ls -q
  assert_output_equals "podman"
  tug_ok volume ls -q
  assert_output_equals "myapp_cache"
}

@test "compose config: interpolation, .env, -f merging, -p, COMPOSE_PROJECT_NAME, discovery from a subdirectory" {
  mkdir -p "$TEST_DIR/proj/sub"
  cd "$TEST_DIR/proj"
  printf 'TAG=from-dotenv\nPORT=8080\n' >.env
  cat >compose.yaml <<'EOF'
name: ${NAME:-named}
services:
  web:
    image: "busybox:${TAG}"
    environment:
      A: ${UNSET:-fallback}
      B: ${EMPTY-kept-empty}
      C: $$literal
      D: ${PORT}
    ports:
      - target: 80
        published: "${PORT}"
        host_ip: 127.0.0.1
        protocol: tcp
    labels: [tier=front]
EOF
  cat >compose.override.yaml <<'EOF'
services:
  web:
    environment:
      E: overridden
EOF
  cat >extra.yaml <<'EOF'
services:
  web:
    image: busybox:from-extra
  worker:
    image: busybox
    profiles: [jobs]
EOF
  EMPTY= tug_ok compose config
  assert_output_contains "name: named"
  assert_output_contains "image: busybox:from-dotenv"
  assert_output_contains 'A: "fallback"'
  assert_output_contains 'B: ""'
  assert_output_contains 'C: "$literal"'
  assert_output_contains 'D: "8080"'
  assert_output_contains 'E: "overridden"'
  assert_output_contains '"127.0.0.1:8080:80/tcp"'
  # The environment wins over .env.
  TAG=from-env tug_ok compose config
  assert_output_contains "image: busybox:from-env"
  # Found from a subdirectory, as docker compose does.
  cd sub
  tug_ok compose config --services
  assert_output_equals "web"
  cd ..
  # -f files merge in order (no override file then); profiles hide services.
  tug_ok compose -f compose.yaml -f extra.yaml config
  assert_output_contains "image: busybox:from-extra"
  assert_output_not_contains "overridden"
  assert_output_not_contains "worker"
  tug_ok compose -f compose.yaml -f extra.yaml --profile jobs config --services
  assert_output_equals $'web\nworker'
  # --project-directory: .env (and relative paths) from there.
  mkdir other
  printf 'TAG=from-other\n' >other/.env
  tug_ok compose --project-directory other config
  assert_output_contains "image: busybox:from-other"
  # The project's name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory.
  tug_ok compose -p Other_One config
  assert_output_contains "name: other_one"
  COMPOSE_PROJECT_NAME=fromenv tug_ok compose config
  assert_output_contains "name: fromenv"
}

@test "compose: invalid files fail with file and line, unknown keys warn, missing things are clear" {
  load_busybox
  cd "$TEST_DIR"
  run_tug compose up -d
  assert_error 125 "no configuration file provided"

  printf 'services:\n  web:\n    image: busybox\n    ports: 80\n' >compose.yaml
  run_tug compose config
  assert_error 125 "$TEST_DIR/compose.yaml:4: services.web.ports: must be a list"

  printf 'services:\n  web:\n    image: busybox\n     command: x\n' >compose.yaml
  run_tug compose config
  assert_error 125 "$TEST_DIR/compose.yaml:4: invalid YAML"

  printf 'services:\n  web:\n    image: busybox\n    imagee: typo\n' >compose.yaml
  tug_ok compose config --services
  assert_output_contains "compose.yaml:4: unknown key \"services.web.imagee\" ignored"

  printf 'services:\n  web:\n    image: "busybox:${TAG:?set TAG please}"\n' >compose.yaml
  run_tug compose config
  assert_error 125 "required variable TAG is missing a value: set TAG please"

  printf 'services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n' >compose.yaml
  run_tug compose up -d
  assert_error 125 "dependency cycle"

  printf 'services:\n  a:\n    image: busybox\n    depends_on: [nope]\n' >compose.yaml
  run_tug compose up -d
  assert_error 125 "undefined service \"nope\""

  printf 'services:\n  a:\n    image: busybox\n    volumes: [data:/d]\n' >compose.yaml
  run_tug compose up -d
  assert_error 125 "undefined volume \"data\""

  printf 'services:\n  a:\n    image: busybox\n    depends_on:\n      b:\n        condition: service_healthy\n  b:\n    image: busybox\n' >compose.yaml
  run_tug compose up -d
  assert_error 125 "dependency failed to start: container"
  assert_output_contains "has no healthcheck configured"
  tug_ok ps -aq --filter status=running --filter name=-a-
  assert_output_equals ""
  tug_ok compose down

  printf 'services:\n  a:\n    image: busybox\nnetworks:\n  ext:\n    external: true\n' >compose.yaml
  printf 'services:\n  a:\n    image: busybox\n    networks: [ext]\nnetworks:\n  ext:\n    external: true\n' >compose.yaml
  run_tug compose up -d
  assert_error 125 "network ext declared as external, but could not be found"

  run_tug compose nope
  assert_failure 125
}

@test "compose up in the foreground: prefixed logs, Ctrl-C stops the project" {
  load_busybox
  mkdir -p "$TEST_DIR/fg"
  cd "$TEST_DIR/fg"
  cat >compose.yaml <<'EOF'
services:
  alpha:
    image: busybox
    command: ["sh", "-c", "echo hello from alpha; trap 'echo alpha stopping; exit 0' TERM; while :; do sleep 0.1; done"]
  beta:
    image: busybox
    command: ["sh", "-c", "echo hello from beta; trap 'exit 0' TERM; while :; do sleep 0.1; done"]
EOF
  "$TUG" compose up >"$TEST_DIR/up.out" 2>&1 &
  pid=$!
  for i in $(seq 100); do
    grep -q "beta-1   | hello from beta" "$TEST_DIR/up.out" && grep -q "alpha-1  | hello from alpha" "$TEST_DIR/up.out" && break
    sleep 0.1
  done
  kill -INT $pid
  rc=0
  wait $pid || rc=$?
  cat "$TEST_DIR/up.out"
  [ "$rc" = 0 ]
  grep -q "alpha-1  | hello from alpha" "$TEST_DIR/up.out"
  grep -q "beta-1   | hello from beta" "$TEST_DIR/up.out"
  grep -q "Gracefully stopping" "$TEST_DIR/up.out"
  grep -q "alpha-1  | alpha stopping" "$TEST_DIR/up.out"
  tug_ok compose ps -a --format '{{.Name}} {{.State}}'
  assert_output_equals $'fg-alpha-1 exited\nfg-beta-1 exited'
  tug_ok compose down
}

@test "compose: build services, per-network aliases and addresses, env_file, service_completed_successfully, logs, --rmi local" {
  load_busybox
  mkdir -p "$TEST_DIR/b/app"
  cd "$TEST_DIR/b"
  printf 'FROM busybox\nARG GREETING=unset\nRUN echo "$GREETING" >/greeting\nCMD ["sh", "-c", "cat /greeting; exec sleep 300"]\n' >app/Containerfile.app
  printf 'FROM_FILE=yes\n# a comment\n' >vars.env
  cat >compose.yaml <<'EOF2'
services:
  init:
    image: busybox
    command: ["sh", "-c", "echo init done; exit 0"]
  app:
    build:
      context: ./app
      dockerfile: Containerfile.app
      args:
        GREETING: built-by-compose
    env_file: [vars.env]
    depends_on:
      init:
        condition: service_completed_successfully
    networks:
      net:
        aliases: [application]
        ipv4_address: 10.88.7.20
  probe:
    image: busybox
    command: ["sh", "-c", "for i in $$(seq 30); do nslookup application >/dev/null 2>&1 && break; sleep 0.1; done; nslookup application; exec sleep 300"]
    networks: [net]
    depends_on: [app]
networks:
  net:
    ipam:
      config:
        - subnet: 10.88.7.0/24
EOF2
  tug_ok compose up -d
  assert_output_contains "Image b-app  Built"
  tug_ok image inspect --format '{{.Id}}' b-app
  # The build args reached the build; env_file reached the container.
  tug_ok compose logs app
  assert_output_equals "app-1  | built-by-compose"
  tug_ok compose exec -T app sh -c 'echo $FROM_FILE'
  assert_output_equals "yes"
  tug_ok inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' b-app-1
  assert_output_equals "10.88.7.20"
  # init completed before app started; probe resolves app's alias.
  tug_ok compose ps -a --format '{{.Service}} {{.Status}}' init
  assert_output_contains "init Exited (0)"
  for i in $(seq 30); do
    run_tug compose logs probe
    [[ "$output" == *"Address: 10.88.7.20"* ]] && break
    sleep 0.2
  done
  assert_output_contains "Address: 10.88.7.20"
  tug_ok compose logs --tail 1 init app
  assert_output_equals $'app-1   | built-by-compose\ninit-1  | init done'
  tug_ok compose logs -t --no-log-prefix init
  [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*\ init\ done$ ]]
  # logs -f ends when the followed containers stop.
  "$TUG" compose logs -f app >"$TEST_DIR/follow.out" 2>&1 &
  pid=$!
  tug_ok compose stop -t 1 app
  wait $pid
  grep -q "app-1  | built-by-compose" "$TEST_DIR/follow.out"
  tug_ok compose start app
  # A rebuilt image makes a new container; the unchanged services stay.
  app_id=$("$TUG" inspect --format '{{.Id}}' b-app-1)
  probe_id=$("$TUG" inspect --format '{{.Id}}' b-probe-1)
  sed -i 's/RUN echo "/RUN echo "rebuilt /' app/Containerfile.app
  tug_ok compose up -d --build app
  assert_output_contains "Container b-app-1  Recreated"
  [ "$("$TUG" inspect --format '{{.Id}}' b-app-1)" != "$app_id" ]
  [ "$("$TUG" inspect --format '{{.Id}}' b-probe-1)" = "$probe_id" ]
  tug_ok compose exec -T app cat /greeting
  assert_output_equals "rebuilt built-by-compose"
  tug_ok compose images --format '{{.Container}} {{.Repository}}'
  assert_line "b-app-1 b-app"
  # --rmi local removes the built image, not the pulled busybox.
  tug_ok compose down --rmi local
  assert_output_contains "Image b-app  Removed"
  run_tug image inspect b-app
  assert_failure
  tug_ok image inspect --format '{{.Id}}' busybox

  # A failed dependency stops up.
  sed -i 's/exit 0/exit 3/' compose.yaml
  run_tug compose up -d
  assert_error 125 "service \"init\" didn't complete successfully: exit 3"
  tug_ok compose down
}

@test "compose push sends each service's image to its registry" {
  load_busybox
  port=$(free_port)
  mkdir -p "$TEST_DIR/reg/data"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$TEST_DIR/reg/data" "$port" >"$TEST_DIR/reg/config.yml"
  # fd 3 is bats' own: a server holding it would keep bats waiting.
  docker-registry serve "$TEST_DIR/reg/config.yml" >"$TEST_DIR/reg/log" 2>&1 3>&- &
  reg=$!
  for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
  tug_ok tag busybox "localhost:$port/shop/app:1"
  mkdir proj && cd proj
  printf 'services:\n  app:\n    image: localhost:%s/shop/app:1\n  local:\n    build: .\n' "$port" >compose.yaml
  printf 'FROM busybox\n' >Containerfile
  tug_ok compose push --tls-verify=false
  assert_output_contains "Image localhost:$port/shop/app:1  Pushed"
  # What the registry holds is the image: pulled back under another store.
  tug_ok rmi "localhost:$port/shop/app:1"
  tug_ok pull --tls-verify=false "localhost:$port/shop/app:1"
  tug_ok run --rm "localhost:$port/shop/app:1" echo pushed-and-pulled
  assert_output_equals "pushed-and-pulled"
  kill "$reg"
  run_tug compose push --tls-verify=false
  assert_failure 125
  tug_ok compose push --tls-verify=false --ignore-push-failures
}

# Blanks container $1's address on its first network, in its record and in
# the network's allocations: what a create that published the record before
# allocating (older tugs) left when killed in between.
drop_address() {
  local id cfg net nf
  id=$("$TUG" inspect --format '{{.Id}}' "$1")
  cfg=$XDG_DATA_HOME/tug/containers/$id/config.json
  net=$(jq -r '.spec.networks[0].network' "$cfg")
  jq -c '.spec.networks[0].address = ""' "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
  nf=$XDG_DATA_HOME/tug/networks/$net.json
  jq -c --arg id "$id" '.allocations |= with_entries(select(.value != $id))' "$nf" >"$nf.new"
  mv "$nf.new" "$nf"
  [ "$(jq -r '.spec.networks[0].address' "$cfg")" = "" ]
}

@test "compose: a record a killed up left without its address starts again; stale network temp files are swept" {
  load_busybox
  mkdir -p "$TEST_DIR/k"
  cd "$TEST_DIR/k"
  cat >compose.yaml <<'EOF2'
services:
  srv:
    image: busybox
    command: ["sh", "-c", "mkdir /w; echo served >/w/i; exec httpd -f -p 80 -h /w"]
    networks: [net]
  cli:
    image: busybox
    command: ["sleep", "300"]
    networks: [net]
networks:
  net: {}
EOF2
  tug_ok compose up -d
  local nets=$XDG_DATA_HOME/tug/networks
  # Created records carry their address from the start.
  run jq -r '.spec.networks[0].address' "$XDG_DATA_HOME"/tug/containers/*/config.json
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == 10.89.* ]] && [[ "${lines[1]}" == 10.89.* ]]
  tug_ok compose stop -t 0
  drop_address k-srv-1
  # And a writer of the network records killed between write and rename.
  echo '{' >"$nets/k_net.json.tmp-999999999"
  tug_ok compose up -d
  assert_output_not_contains "invalid subnet"
  assert_output_contains "had no address on network k_net"
  tug_ok inspect --format '{{.State.Status}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' k-srv-1
  [[ "$output" =~ ^running\ 10\.89\.[0-9]+\.[0-9]+$ ]]
  ip=${output#running }
  # Recorded, allocated to it, and really its address: the other service reaches it.
  id=$("$TUG" inspect --format '{{.Id}}' k-srv-1)
  [ "$(jq -r --arg ip "$ip" '.allocations[$ip]' "$nets/k_net.json")" = "$id" ]
  [ "$(jq -r '.spec.networks[0].address' "$XDG_DATA_HOME/tug/containers/$id/config.json")" = "$ip" ]
  for i in $(seq 50); do
    run_tug exec k-cli-1 wget -qO- http://srv/i
    [ "$status" -eq 0 ] && break
    sleep 0.2
  done
  assert_output_equals "served"
  tug_ok exec k-srv-1 ip -4 -o addr show eth0
  assert_output_contains "inet $ip/"
  [ ! -e "$nets/k_net.json.tmp-999999999" ]

  # Plain start meets the same state; system check names it first.
  tug_ok stop -t 0 k-cli-1
  drop_address k-cli-1
  run_tug system check
  assert_failure
  assert_output_contains "no address on network k_net"
  tug_ok start k-cli-1
  tug_ok inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' k-cli-1
  [[ "$output" == 10.89.* ]] && [ "$output" != "$ip" ]
  tug_ok exec k-cli-1 wget -qO- http://srv/i
  assert_output_equals "served"

  # system check --repair gives the address instead.
  tug_ok stop -t 0 k-cli-1
  drop_address k-cli-1
  tug_ok system check --repair
  cid=$("$TUG" inspect --format '{{.Id}}' k-cli-1)
  [[ "$(jq -r '.spec.networks[0].address' "$XDG_DATA_HOME/tug/containers/$cid/config.json")" == 10.89.* ]]
  tug_ok system check
  tug_ok start k-cli-1
  tug_ok exec k-cli-1 wget -qO- http://srv/i
  assert_output_equals "served"

  # down sweeps a stale temp file too, and leaves no network record.
  echo '{' >"$nets/k_net.json.tmp-999999999"
  tug_ok compose down -t 0
  [ -z "$(ls -A "$nets")" ]
  tug_ok system check
}

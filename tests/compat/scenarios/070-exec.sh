# exec: commands in running containers, options and error cases.

@ exec-echo
E run -d --name c $IMG sleep 300
E exec c echo hi from exec

@ exec-exit-code
E run -d --name c $IMG sleep 300
E exec c sh -c 'exit 7'

@ exec-not-found
E run -d --name c $IMG sleep 300
E exec c /nosuch

@ exec-not-executable
E run -d --name c $IMG sleep 300
E exec c /etc/passwd

@ exec-missing-container differs=missing-objects-exit-1
E exec nosuch true

@ exec-not-running differs=exec-exit-codes-are-dockers
E create --name c $IMG true
E exec c true

@ exec-exited differs=exec-exit-codes-are-dockers
E run --name c $IMG true
E exec c true

@ exec-no-command differs=exec-exit-codes-are-dockers
E run -d --name c $IMG sleep 300
E exec c

@ exec-no-args
E exec

@ exec-env
E run -d --name c -e FROM_RUN=r $IMG sleep 300
E exec -e FROM_EXEC=e c sh -c 'echo $FROM_RUN $FROM_EXEC'

@ exec-env-file
printf 'EF=fromfile\n' > envf
E run -d --name c $IMG sleep 300
E exec --env-file envf c sh -c 'echo $EF'

@ exec-workdir
E run -d --name c $IMG sleep 300
E exec -w /tmp c pwd

@ exec-workdir-inherited
E run -d --name c -w /etc $IMG sleep 300
E exec c pwd

@ exec-workdir-missing differs=exec-exit-codes-are-dockers
E run -d --name c $IMG sleep 300
E exec -w /nosuch c pwd

@ exec-user differs=supplementary-groups-as-docker
E run -d --name c $IMG sleep 300
E exec -u 1000:1000 c id

@ exec-user-name
E run -d --name c $IMG sleep 300
E exec -u nobody c id -un

@ exec-user-missing differs=exec-exit-codes-are-dockers
E run -d --name c $IMG sleep 300
E exec -u nosuchuser c id

@ exec-user-inherited differs=supplementary-groups-as-docker
E run -d --name c -u 1:1 $IMG sleep 300
E exec c id

@ exec-stdin
E run -d --name c $IMG sleep 300
echo via stdin | E exec -i c cat

@ exec-stdin-not-attached
E run -d --name c $IMG sleep 300
echo via stdin | E exec c cat

@ exec-detach differs=exec--d-prints-nothing
E run -d --name c $IMG sleep 300
E exec -d c sh -c 'echo detached > /tmp/marker'
waitfor '[ -n "$(Q exec c cat /tmp/marker)" ]'
E exec c cat /tmp/marker

@ exec-sees-files
E run -d --name c $IMG sh -c 'echo made by pid1 > /tmp/f; sleep 300'
waitfor '[ -n "$(Q exec c cat /tmp/f)" ]'
E exec c cat /tmp/f

@ exec-same-pid-namespace
E run -d --name c $IMG sleep 300
E exec c sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo'

@ exec-hostname
E run -d --name c -h inner $IMG sleep 300
E exec c hostname

@ exec-privileged-flag
E run -d --name c $IMG sleep 300
E exec --privileged c echo ok

@ exec-unknown-flag
E run -d --name c $IMG sleep 300
E exec --nosuchflag c true

@ exec-path-env
E run -d --name c $IMG sleep 300
E exec c sh -c 'echo $PATH'

@ container-exec-group
E run -d --name c $IMG sleep 300
E container exec c echo grouped

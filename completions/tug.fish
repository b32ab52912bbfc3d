# fish completion for tug: commands, their flags, and images, containers and
# volumes from the store. Kept in step with `tug --help` by
# tests/system/005-completions.bats.

set -l tug_commands attach build builder buildx commit compose container cp create diff events exec export healthcheck history image images import info \
    inspect kill load login logout logs manifest network pause pod port ps pull push rename restart rm rmi run save \
    search start stats stop system tag top unpause unshare untag update version volume wait generate kube play auto-update

function __tug_images
    tug images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | string replace -r '^docker\.io/library/' ''
end
function __tug_containers
    tug ps -a --format '{{.Names}}' 2>/dev/null
end
function __tug_running
    tug ps --format '{{.Names}}' 2>/dev/null
end
function __tug_pods
    tug pod ps --format '{{.Name}}' 2>/dev/null
end

function __tug_volumes
    tug volume ls -q 2>/dev/null
end
# True while the command line is `tug CMD` (one of $argv) with no positional word yet after it.
function __tug_first_arg_of
    set -l tokens (commandline -opc)
    set -l found 0
    for t in $tokens[2..-1]
        if test $found -eq 0
            if contains -- $t $argv
                set found 1
            end
        else if not string match -q -- '-*' $t
            return 1
        end
    end
    test $found -eq 1
end

complete -c tug -f
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l root -r -a '(__fish_complete_directories)' -d 'Storage root directory'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l runroot -r -a '(__fish_complete_directories)' -d 'Runtime state directory'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l log-level -x -a 'trace debug info warn error fatal panic' -d 'Log level'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -s D -l debug -d 'Debug output (--log-level debug)'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l config -r -a '(__fish_complete_directories)' -d "docker's client config directory"
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l storage-driver -x -a 'overlay fuse-overlayfs vfs' -d 'Storage driver'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l events-backend -x -a 'file journald none' -d 'Where events go'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l noout -d 'Do not print to stdout'
complete -c tug -n "not __fish_seen_subcommand_from $tug_commands" -l version -d 'Show the version'

set -l top "not __fish_seen_subcommand_from $tug_commands"
complete -c tug -n $top -a attach -d 'Attach to a running container'
complete -c tug -n $top -a build -d 'Build an image from a Containerfile'
complete -c tug -n $top -a buildx -d 'Build images (buildx build is build)'
complete -c tug -n $top -a untag -d 'Remove names from an image'
complete -c tug -n "__fish_seen_subcommand_from buildx; and not __fish_seen_subcommand_from build" -a build -d 'Build an image'
complete -c tug -n $top -a builder -d 'Manage builds (builder prune removes the build cache)'
complete -c tug -n "__fish_seen_subcommand_from builder buildx; and not __fish_seen_subcommand_from build prune" -a prune -d 'Remove build cache'
complete -c tug -n "__fish_seen_subcommand_from builder; and not __fish_seen_subcommand_from build prune" -a build -d 'Build an image'
complete -c tug -n $top -a commit -d "Create an image from a container's changes"
complete -c tug -n $top -a container -d 'Manage containers'
complete -c tug -n $top -a cp -d 'Copy files between a container and the host'
complete -c tug -n $top -a create -d 'Create but do not start a container'
complete -c tug -n $top -a diff -d "Show changes to a container's filesystem"
complete -c tug -n $top -a exec -d 'Run a command in a running container'
complete -c tug -n $top -a export -d "Export a container's filesystem"
complete -c tug -n $top -a history -d 'Show the history of an image'
complete -c tug -n $top -a image -d 'Manage images'
complete -c tug -n $top -a images -d 'List images'
complete -c tug -n $top -a import -d 'Import a tarball as an image'
complete -c tug -n $top -a info -d 'Display system information'
complete -c tug -n $top -a inspect -d 'Display the configuration of objects'
complete -c tug -n $top -a kill -d 'Kill running containers'
complete -c tug -n $top -a load -d 'Load images from an archive'
complete -c tug -n $top -a logs -d 'Fetch the logs of a container'
complete -c tug -n $top -a pause -d 'Pause containers'
complete -c tug -n $top -a ps -d 'List containers'
complete -c tug -n $top -a login -d 'Log in to a registry'
complete -c tug -n $top -a logout -d 'Log out of a registry'
complete -c tug -n $top -a manifest -d 'Inspect manifests and manifest lists'
complete -c tug -n $top -a pull -d 'Pull an image from a registry'
complete -c tug -n $top -a push -d 'Push an image to a registry or an archive'
complete -c tug -n $top -a search -d 'Search a registry for images'
complete -c tug -n $top -a rename -d 'Rename a container'
complete -c tug -n $top -a update -d 'Update configuration of one or more containers'
complete -c tug -n $top -a port -d 'List port mappings of a container'
complete -c tug -n $top -a restart -d 'Restart containers'
complete -c tug -n $top -a rm -d 'Remove containers'
complete -c tug -n $top -a rmi -d 'Remove images'
complete -c tug -n $top -a run -d 'Run a command in a new container'
complete -c tug -n $top -a save -d 'Save images to an archive'
complete -c tug -n $top -a start -d 'Start stopped containers'
complete -c tug -n $top -a stats -d 'Display resource usage'
complete -c tug -n $top -a stop -d 'Stop running containers'
complete -c tug -n $top -a system -d 'Manage tug'
complete -c tug -n $top -a tag -d 'Add a name to an image'
complete -c tug -n $top -a top -d 'Display the processes of a container'
complete -c tug -n $top -a unpause -d 'Unpause containers'
complete -c tug -n $top -a unshare -d "Run a command in tug's user namespace"
complete -c tug -n $top -a version -d 'Display the version'
complete -c tug -n $top -a volume -d 'Manage volumes'
complete -c tug -n $top -a pod -d 'Manage pods'
complete -c tug -n $top -a events -d 'Show events'
complete -c tug -n $top -a healthcheck -d 'Run container healthchecks'
complete -c tug -n $top -a network -d 'Manage user-defined networks'
complete -c tug -n "__fish_seen_subcommand_from network; and not __fish_seen_subcommand_from create ls list inspect rm remove connect disconnect prune exists" \
    -a 'create ls list inspect rm remove connect disconnect prune exists'
complete -c tug -n "__fish_seen_subcommand_from network; and __fish_seen_subcommand_from inspect rm remove connect disconnect exists" \
    -x -a '(tug network ls -q 2>/dev/null)'
complete -c tug -n $top -a compose -d 'Define and run multi-container applications'
complete -c tug -n "__fish_seen_subcommand_from compose; and not __fish_seen_subcommand_from up down ps logs start stop restart kill rm exec run config pull build push top port images" \
    -a 'up down ps logs start stop restart kill rm exec run config pull build push top port images'
complete -c tug -n $top -a wait -d 'Wait for containers and print exit codes'
complete -c tug -n $top -a generate -d 'Generate systemd units'
complete -c tug -n $top -a auto-update -d 'Update containers of systemd units to newer images'
complete -c tug -n "__fish_seen_subcommand_from generate; and not __fish_seen_subcommand_from systemd kube" -a systemd -d 'Units for a container or pod'
complete -c tug -n "__fish_seen_subcommand_from generate; and not __fish_seen_subcommand_from systemd kube" -a kube -d 'Kubernetes YAML for containers or pods'
complete -c tug -n $top -a play -d 'Play Kubernetes YAML (as kube play)'
complete -c tug -n "__fish_seen_subcommand_from play; and not __fish_seen_subcommand_from kube" -a kube
complete -c tug -n $top -a kube -d 'Play or remove pods from Kubernetes YAML, or generate it'
complete -c tug -n "__fish_seen_subcommand_from kube; and not __fish_seen_subcommand_from play down generate" -a 'play down generate'
set -l kp "__fish_seen_subcommand_from kube; and __fish_seen_subcommand_from play"
complete -c tug -n $kp -l replace -d 'Replace pods of the same names'
complete -c tug -n $kp -l start -d 'Start the pods (--start=false only creates)'
complete -c tug -n $kp -l down -d 'Remove what the file made'
complete -c tug -n $kp -l network -x -a '(tug network ls -q 2>/dev/null)' -d Network
complete -c tug -n $kp -l configmap -r -F -d 'ConfigMap file'
complete -c tug -n $kp -l publish -x -d 'Publish a port'
complete -c tug -n $kp -l annotation -x -d 'Annotation KEY=VALUE for every object'
complete -c tug -n "__fish_seen_subcommand_from kube; and __fish_seen_subcommand_from down" -l force -d 'Remove volumes too'
set -l kg "__fish_seen_subcommand_from kube; and __fish_seen_subcommand_from generate"
complete -c tug -n $kg -s s -l service -d 'Add a NodePort Service'
complete -c tug -n $kg -s f -l filename -r -F -d 'Write the YAML to a file'
complete -c tug -n $kg -s t -l type -x -a 'pod deployment' -d 'Kind of object'
complete -c tug -n $kg -s r -l replicas -x -d 'Replicas of a deployment'
set -l gs "__fish_seen_subcommand_from generate; and __fish_seen_subcommand_from systemd"
complete -c tug -n $gs -l new -d 'Create the container when the unit starts'
complete -c tug -n $gs -s n -l name -d 'Use names instead of ids'
complete -c tug -n $gs -s f -l files -d 'Write .service files'
complete -c tug -n $gs -l no-header -d 'No header'
complete -c tug -n $gs -l restart-policy -x -a 'no on-success on-failure on-abnormal on-watchdog on-abort always' -d 'Restart policy'
complete -c tug -n $gs -l restart-sec -x -d RestartSec
complete -c tug -n $gs -l start-timeout -x -d 'Start timeout'
complete -c tug -n $gs -s t -l time -l stop-timeout -x -d 'Stop timeout'
complete -c tug -n $gs -l container-prefix -x -d 'Container unit prefix'
complete -c tug -n $gs -l pod-prefix -x -d 'Pod unit prefix'
complete -c tug -n $gs -l separator -x -d Separator
complete -c tug -n $gs -l wants -x -d Wants=
complete -c tug -n $gs -l after -x -d After=
complete -c tug -n $gs -l requires -x -d Requires=
complete -c tug -n $gs -s e -l env -x -d Environment
complete -c tug -n $gs -l template -d 'Template unit, an instance per %i'
complete -c tug -n $gs -l format -x -a json -d 'Output format'
complete -c tug -n $gs -a '(__tug_containers) (__tug_pods)' -d 'Container or pod'
complete -c tug -n "__fish_seen_subcommand_from auto-update" -l dry-run -d 'Change nothing'
complete -c tug -n "__fish_seen_subcommand_from auto-update" -l format -x -a 'json table' -d 'Output format'

# run and create
set -l rc "__fish_seen_subcommand_from run create"
# The limits and restart policy, which update changes too.
set -l rcu "__fish_seen_subcommand_from run create update"
complete -c tug -n $rc -l rm -d 'Remove the container when it exits'
complete -c tug -n $rc -s d -l detach -d 'Run in the background'
complete -c tug -n $rc -l name -x -d 'Container name'
complete -c tug -n $rc -s e -l env -x -d 'Environment variable KEY=VALUE'
complete -c tug -n $rc -l env-file -r -F -d 'Environment file'
complete -c tug -n $rc -s w -l workdir -x -d 'Working directory'
complete -c tug -n $rc -s u -l user -x -d 'User'
complete -c tug -n $rc -l entrypoint -x -d 'Override the entrypoint'
complete -c tug -n $rc -s h -l hostname -x -d 'Hostname'
complete -c tug -n $rc -l network -l net -x -a 'slirp4netns pasta none host container: ns:' -d 'Network mode'
complete -c tug -n $rc -s p -l publish -x -d 'Publish a port [[IP:][HOSTPORT]:]CTRPORT[/PROTO]'
complete -c tug -n $rc -s P -l publish-all -d 'Publish every exposed port'
complete -c tug -n $rc -l pod -x -a '(__tug_pods)' -d 'Run in an existing pod'
complete -c tug -n $rc -l pod-id-file -r -F -d 'Run in the pod whose ID is in the file'
complete -c tug -n $rc -l health-cmd -x -d 'Healthcheck command'
complete -c tug -n $rc -l health-interval -x -d 'Time between checks'
complete -c tug -n $rc -l health-retries -x -d 'Failures before unhealthy'
complete -c tug -n $rc -l health-start-period -x -d 'Grace period'
complete -c tug -n $rc -l health-start-interval -x -d 'Time between checks in the start period'
complete -c tug -n $rc -l health-timeout -x -d 'Maximum time of a check'
complete -c tug -n $rc -l no-healthcheck -d "Disable the image's healthcheck"
complete -c tug -n $rc -s v -l volume -r -F -a '(__tug_volumes)' -d 'SRC:DST[:ro]'
complete -c tug -n $rc -l tmpfs -x -d 'Mount a tmpfs'
complete -c tug -n $rc -l add-host -x -d 'host:ip for /etc/hosts'
complete -c tug -n $rc -l dns -x -d 'Nameserver'
complete -c tug -n $rc -l dns-option -l dns-opt -x -d 'resolv.conf option'
complete -c tug -n $rc -l dns-search -x -d 'resolv.conf search domain'
complete -c tug -n $rc -l ipc -x -a 'private shareable host none container:' -d 'IPC namespace'
complete -c tug -n $rc -l group-add -x -d 'Supplementary group'
complete -c tug -n $rcu -l kernel-memory -x -d 'Kernel memory limit (ignored)'
complete -c tug -n $rc -s a -l attach -x -a 'stdin stdout stderr' -d 'Attach to a stream'
complete -c tug -n $rc -l cap-add -x -d 'Add a capability'
complete -c tug -n $rc -l cap-drop -x -d 'Drop a capability'
complete -c tug -n $rc -s l -l label -x -d 'Label KEY=VALUE'
complete -c tug -n $rc -l label-file -r -F -d 'File of labels KEY=VALUE'
complete -c tug -n $rc -l read-only -d 'Read-only root filesystem'
complete -c tug -n $rc -l rootfs -d 'Argument is a rootfs directory or squashfs file'
complete -c tug -n $rc -s t -l tty -d 'Allocate a terminal'
complete -c tug -n $rc -s i -l interactive -d 'Keep stdin open'
complete -c tug -n $rc -l init -d 'Run tug-init as PID 1'
complete -c tug -n $rc -l storage-driver -x -a 'overlay fuse-overlayfs vfs' -d 'Storage driver'
complete -c tug -n $rc -l stop-signal -x -d 'Stop signal'
complete -c tug -n $rc -l stop-timeout -x -d 'Seconds before SIGKILL'
complete -c tug -n $rc -l security-opt -x -a 'seccomp=unconfined no-new-privileges fake-chown=true fake-chown=false' -d 'Security option'
complete -c tug -n $rc -l device -r -d 'Host device or CDI device VENDOR/CLASS=NAME'
complete -c tug -n $rc -l gpus -x -a 'all' -d 'GPUs through CDI (nvidia.com/gpu)'
complete -c tug -n $rcu -s m -l memory -x -d 'Memory limit'
complete -c tug -n $rcu -l memory-swap -x -d 'Memory plus swap limit'
complete -c tug -n $rcu -l cpus -x -d 'Number of CPUs'
complete -c tug -n $rcu -s c -l cpu-shares -x -d 'CPU shares'
complete -c tug -n $rcu -l pids-limit -x -d 'Process limit'
complete -c tug -n $rcu -l memory-reservation -x -d 'Memory soft limit'
complete -c tug -n $rcu -l cpu-period -x -d 'CPU CFS period'
complete -c tug -n $rcu -l cpu-quota -x -d 'CPU CFS quota'
complete -c tug -n $rcu -l cpuset-cpus -x -d 'CPUs allowed'
complete -c tug -n $rcu -l cpuset-mems -x -d 'Memory nodes allowed'
complete -c tug -n $rcu -l blkio-weight -x -d 'Block IO weight'
complete -c tug -n $rcu -l restart -x -a 'no on-failure always unless-stopped' -d 'Restart policy'
complete -c tug -n $rc -l mount -x -a 'type=bind type=volume type=tmpfs' -d 'Filesystem mount'
complete -c tug -n $rc -l ulimit -x -d 'Ulimit NAME=SOFT:HARD'
complete -c tug -n $rc -l userns -x -a 'host keep-id' -d 'User namespace mode'
complete -c tug -n $rc -l privileged -d 'Every capability, no seccomp'
complete -c tug -n $rc -l replace -d 'Replace a container of the same name'
complete -c tug -n $rc -l sdnotify -x -a 'conmon container healthy ignore' -d 'How NOTIFY_SOCKET is used'
complete -c tug -n $rc -l cgroups -x -a 'enabled disabled split no-conmon' -d 'Control group mode'
complete -c tug -n $rc -l cidfile -r -F -d 'Write the container ID to the file'
complete -c tug -n $rc -l log-driver -x -a 'k8s-file json-file journald none passthrough' -d 'Logging driver'
complete -c tug -n $rc -l log-opt -x -a 'max-size= max-file= tag= path=' -d 'Logging driver option'
complete -c tug -n $rc -l volumes-from -x -a '(__tug_containers)' -d 'Volumes of another container'
complete -c tug -n "__tug_first_arg_of run create" -a '(__tug_images)' -d Image

# images
complete -c tug -n "__fish_seen_subcommand_from images" -s a -l all -d 'All images'
complete -c tug -n "__fish_seen_subcommand_from images ps stats" -s q -l quiet -d 'Only ids'
complete -c tug -n "__fish_seen_subcommand_from images" -l digests -d 'Show digests'
complete -c tug -n "__fish_seen_subcommand_from images ps history" -l no-trunc -d 'Do not truncate'
complete -c tug -n "__fish_seen_subcommand_from ps" -s f -l filter -x -a 'id= name= label= status= exited= ancestor= before= since=' -d 'Filter'
complete -c tug -n "__fish_seen_subcommand_from ps" -s s -l size -d 'Show sizes'
complete -c tug -n "__fish_seen_subcommand_from ps" -s n -l last -x -d 'Last n containers'
complete -c tug -n "__fish_seen_subcommand_from ps" -s l -l latest -d 'Latest container'
complete -c tug -n "__fish_seen_subcommand_from ps" -l external -d 'Also the containers of builds'
complete -c tug -n "__fish_seen_subcommand_from images ps history stats diff" -l format -x -a 'json table' -d 'Output format'
complete -c tug -n "__fish_seen_subcommand_from rmi tag history save" -a '(__tug_images)' -d Image
complete -c tug -n "__fish_seen_subcommand_from rmi" -s f -l force -d 'Also remove containers using it'
complete -c tug -n "__fish_seen_subcommand_from load" -s i -l input -r -F -d 'Archive to read'
complete -c tug -n "__fish_seen_subcommand_from save export" -s o -l output -r -F -d 'Archive to write'
complete -c tug -n "__fish_seen_subcommand_from save" -l format -x -a 'docker-archive oci-archive squashfs' -d 'Archive format'
complete -c tug -n "__fish_seen_subcommand_from import" -F
complete -c tug -n "__fish_seen_subcommand_from import commit" -s c -l change -x -d 'Dockerfile instruction'
complete -c tug -n "__fish_seen_subcommand_from import commit" -s m -l message -x -d 'Commit message'

# containers
complete -c tug -n "__fish_seen_subcommand_from ps rm" -s a -l all -d 'All containers'
complete -c tug -n "__fish_seen_subcommand_from rm" -s f -l force -d 'Stop running ones first'
complete -c tug -n "__fish_seen_subcommand_from rm" -s v -l volumes -d 'Remove anonymous volumes'
complete -c tug -n "__fish_seen_subcommand_from rm start restart wait logs export diff commit rename update inspect" -a '(__tug_containers)' -d Container
complete -c tug -n "__fish_seen_subcommand_from stop kill attach exec top stats pause unpause port" -a '(__tug_running)' -d 'Running container'
complete -c tug -n "__fish_seen_subcommand_from stop restart" -s t -l time -x -d 'Seconds before SIGKILL'
complete -c tug -n "__fish_seen_subcommand_from stop rm" -s i -l ignore -d 'Ignore missing containers'
complete -c tug -n "__fish_seen_subcommand_from stop rm" -l cidfile -r -F -d 'Container ID file'
complete -c tug -n "__fish_seen_subcommand_from start stop" -l all -d 'All containers (with --filter)'
complete -c tug -n "__fish_seen_subcommand_from start stop" -l filter -x -a 'restart-policy= label= name= id=' -d Filter
complete -c tug -n "__fish_seen_subcommand_from kill" -s s -l signal -x -a 'SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2' -d Signal
complete -c tug -n "__fish_seen_subcommand_from logs" -s f -l follow -d Follow
complete -c tug -n "__fish_seen_subcommand_from logs" -s t -l timestamps -d Timestamps
complete -c tug -n "__fish_seen_subcommand_from logs" -s n -l tail -x -d 'Last N lines'
complete -c tug -n "__fish_seen_subcommand_from logs" -l since -x -d 'Since a time'
complete -c tug -n "__fish_seen_subcommand_from logs" -l until -x -d 'Before a time'
complete -c tug -n "__fish_seen_subcommand_from start" -s a -l attach -d Attach
complete -c tug -n "__fish_seen_subcommand_from start exec" -s i -l interactive -d 'Keep stdin open'
complete -c tug -n "__fish_seen_subcommand_from exec" -s t -l tty -d 'Allocate a terminal'
complete -c tug -n "__fish_seen_subcommand_from exec" -s d -l detach -d 'Run in the background'
complete -c tug -n "__fish_seen_subcommand_from exec" -s e -l env -x -d 'Environment variable'
complete -c tug -n "__fish_seen_subcommand_from exec" -s u -l user -x -d User
complete -c tug -n "__fish_seen_subcommand_from exec" -s w -l workdir -x -d 'Working directory'
complete -c tug -n "__fish_seen_subcommand_from exec" -l privileged -d 'Every capability'
complete -c tug -n "__fish_seen_subcommand_from stats" -l no-stream -d 'One sample'
complete -c tug -n "__fish_seen_subcommand_from stats" -l no-trunc -d 'Full ids'
complete -c tug -n "__fish_seen_subcommand_from events" -s f -l filter -x -a 'type= event= container= image= volume= pod= label=' -d Filter
complete -c tug -n "__fish_seen_subcommand_from events" -l format -x -a json -d 'Go template or json'
complete -c tug -n "__fish_seen_subcommand_from events" -l since -x -d 'Since a time'
complete -c tug -n "__fish_seen_subcommand_from events" -l until -x -d 'Until a time'
complete -c tug -n "__fish_seen_subcommand_from events" -l stream -x -a 'true false' -d 'Keep streaming'
complete -c tug -n "__fish_seen_subcommand_from healthcheck; and not __fish_seen_subcommand_from run" -a run -d 'Run the healthcheck once'
complete -c tug -n "__fish_seen_subcommand_from healthcheck; and __fish_seen_subcommand_from run" -a '(__tug_running)' -d 'Running container'
complete -c tug -n "__fish_seen_subcommand_from inspect info version" -s f -l format -x -d 'Go template or json'
complete -c tug -n "__fish_seen_subcommand_from cp" -F -a '(__tug_containers | string replace -r \'$\' :)'

# groups
complete -c tug -n "__fish_seen_subcommand_from image; and not __fish_seen_subcommand_from ls list rm inspect tag untag history load save import build prune exists pull push trust" \
    -a 'ls list rm inspect tag untag history load save import build prune exists pull push trust'
complete -c tug -n "__fish_seen_subcommand_from container; and not __fish_seen_subcommand_from ls list ps rm export inspect prune diff cp commit rename update port exists run create start stop restart kill wait logs exec attach top stats pause unpause" \
    -a 'ls list ps rm export inspect prune diff cp commit rename update port exists run create start stop restart kill wait logs exec attach top stats pause unpause'
complete -c tug -n "__fish_seen_subcommand_from volume; and not __fish_seen_subcommand_from create ls list inspect exists rm prune" \
    -a 'create ls list inspect exists rm prune'
complete -c tug -n "__fish_seen_subcommand_from volume; and __fish_seen_subcommand_from inspect rm" -a '(__tug_volumes)' -d Volume
complete -c tug -n "__fish_seen_subcommand_from pod; and not __fish_seen_subcommand_from create start stop rm ps ls list inspect exists" \
    -a 'create start stop rm ps ls list inspect exists'
complete -c tug -n "__fish_seen_subcommand_from pod; and __fish_seen_subcommand_from start stop rm inspect" -a '(__tug_pods)' -d Pod
complete -c tug -n "__fish_seen_subcommand_from pod; and __fish_seen_subcommand_from create start stop rm" -l pod-id-file -r -F -d 'Pod ID file'
complete -c tug -n "__fish_seen_subcommand_from pod; and __fish_seen_subcommand_from create" -l exit-policy -x -a 'continue stop' -d 'When the last container exits'
complete -c tug -n "__fish_seen_subcommand_from pod; and __fish_seen_subcommand_from create" -l infra-conmon-pidfile -r -F -d 'Infra monitor pid file'
complete -c tug -n "__fish_seen_subcommand_from pod; and __fish_seen_subcommand_from stop rm" -s i -l ignore -d 'Ignore missing pods'
complete -c tug -n "__fish_seen_subcommand_from system; and not __fish_seen_subcommand_from check df prune service" -a 'check df prune service'
complete -c tug -n "__fish_seen_subcommand_from system; and __fish_seen_subcommand_from service" -l time -x -d 'Seconds without a client before it exits (0: never)'
complete -c tug -n "__fish_seen_subcommand_from system; and __fish_seen_subcommand_from check" -s r -l repair -d 'Remove what is damaged in the store'
complete -c tug -n "__fish_seen_subcommand_from system; and __fish_seen_subcommand_from check" -s q -l quick -d 'Skip verifying layer contents'

# Registry commands.
complete -c tug -n "__fish_seen_subcommand_from pull push login search manifest run create" -l tls-verify -d 'Require HTTPS and verified certificates'
complete -c tug -n "__fish_seen_subcommand_from pull push login logout search manifest run create" -l authfile -r -F -d 'Authentication file'
complete -c tug -n "__fish_seen_subcommand_from pull push login search manifest run create" -l cert-dir -r -a '(__fish_complete_directories)' -d 'Certificate directory'
complete -c tug -n "__fish_seen_subcommand_from pull push search manifest run create" -l creds -x -d 'USER:PASSWORD'
complete -c tug -n "__fish_seen_subcommand_from pull run create" -l platform -x -d 'OS/ARCH[/VARIANT]'
complete -c tug -n "__fish_seen_subcommand_from run create" -l pull -x -a 'always missing never newer' -d 'Pull policy'
complete -c tug -n "__fish_seen_subcommand_from pull push" -s q -l quiet -d 'Less output'
complete -c tug -n "__fish_seen_subcommand_from push" -l digestfile -r -F -d 'Write the digest here'
complete -c tug -n "__fish_seen_subcommand_from push" -l sign-by -r -d 'Sign with this GPG key'
complete -c tug -n "__fish_seen_subcommand_from push" -l sign-by-sigstore-private-key -r -F -d 'Sign with this sigstore private key'
complete -c tug -n "__fish_seen_subcommand_from push" -l sign-passphrase-file -r -F -d 'Passphrase of the signing key'
complete -c tug -n "__fish_seen_subcommand_from pull run create build load" -l signature-policy -r -F -d 'Policy file'
complete -c tug -n "__fish_seen_subcommand_from push" -a '(__tug_images)' -d Image
complete -c tug -n "__fish_seen_subcommand_from login" -s u -l username -x -d 'User name'
complete -c tug -n "__fish_seen_subcommand_from login" -s p -l password -x -d 'Password'
complete -c tug -n "__fish_seen_subcommand_from login" -l password-stdin -d 'Read the password from stdin'
complete -c tug -n "__fish_seen_subcommand_from logout" -s a -l all -d 'Every registry'
complete -c tug -n "__fish_seen_subcommand_from manifest; and not __fish_seen_subcommand_from inspect" -a inspect -d 'Display a manifest'
complete -c tug -n "__fish_seen_subcommand_from search" -l limit -x -d 'Maximum results'

# build
set -l build "__fish_seen_subcommand_from build"
complete -c tug -n $build -s t -l tag -x -d 'Name of the image'
complete -c tug -n $build -s f -l file -r -F -d 'Containerfile (- for stdin)'
complete -c tug -n $build -l build-arg -x -d 'Build-time variable KEY=VALUE'
complete -c tug -n $build -l target -x -d 'Stage to build'
complete -c tug -n $build -l no-cache -d 'Do not use the cache'
complete -c tug -n $build -l pull -x -a 'always missing never' -d 'Pull base images'
complete -c tug -n $build -l network -x -a 'none host' -d 'Network for RUN'
complete -c tug -n $build -l label -x -d 'Image label KEY=VALUE'
complete -c tug -n $build -l layers -x -a 'true false' -d 'Keep intermediate images as the cache'
complete -c tug -n $build -l squash -d 'Squash the new layers'
complete -c tug -n $build -l squash-all -d 'Squash all layers, the base image\'s too'
complete -c tug -n $build -s q -l quiet -d 'Print only the image ID'
complete -c tug -n $build -l iidfile -r -F -d 'Write the image ID to a file'
complete -c tug -n $build -l format -x -a 'oci docker' -d 'Image format'
complete -c tug -n $build -l secret -x -d 'Secret id=ID,src=FILE or id=ID,env=VAR'
complete -c tug -n $build -l ssh -x -d 'SSH agent: default or ID=SOCKET'
complete -c tug -n $build -s o -l output -r -F -d 'Write the files: type=local,dest=DIR or type=tar,dest=FILE'
complete -c tug -n $build -l timestamp -x -d 'Created time and file times (seconds since the epoch)'
complete -c tug -n $build -a '(__fish_complete_directories)' -d 'Context directory'

# podman's listing and removal habits.
complete -c tug -n "__fish_seen_subcommand_from ps images" -l noheading -d 'No column headings'
complete -c tug -n "__fish_seen_subcommand_from images" -s n -d 'No column headings'
complete -c tug -n "__fish_seen_subcommand_from images" -l sort -x -a 'created id repository size tag' -d 'Sort by'
complete -c tug -n "__fish_seen_subcommand_from rmi" -s i -l ignore -d 'Ignore missing images'
complete -c tug -n "__fish_seen_subcommand_from stop restart" -l timeout -x -d 'Seconds before killing'
complete -c tug -n "__fish_seen_subcommand_from untag" -a '(__tug_images)' -d Image

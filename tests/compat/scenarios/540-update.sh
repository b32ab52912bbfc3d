# tug update / container update (issue 17): docker 20.10's command. podman
# 4.3 has `update` for cgroup v2 resources only (no --restart, no
# --pids-limit, nothing for a created container, exit 125 for every error),
# so most scenarios differ on purpose; what both do alike is compared.

@ update-bad-size
E create --name u $IMG true
E update -m lots u

@ update-bad-number
E create --name u $IMG true
E update --cpu-shares many u

@ update-unknown-container differs=update-is-dockers
E update --cpus 1 nosuch

@ update-no-flags differs=update-is-dockers
E create --name u $IMG true
E update u

@ update-created-container differs=update-is-dockers
E create --name u $IMG true
E update -m 64m --cpu-shares 512 u
E inspect --format '{{.HostConfig.Memory}} {{.HostConfig.CpuShares}}' u

@ update-restart-policy differs=update-is-dockers
E create --name u $IMG true
E update --restart on-failure:2 u
E inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' u

@ update-pids-limit differs=update-is-dockers
E create --name u $IMG true
E update --pids-limit 40 u
E inspect --format '{{.HostConfig.PidsLimit}}' u

@ update-container-group differs=update-is-dockers
E create --name u $IMG true
E container update --blkio-weight 300 u
E inspect --format '{{.HostConfig.BlkioWeight}}' u

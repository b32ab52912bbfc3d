# events: what container and image actions leave in the event log.

@ events-container-lifecycle differs=container-events-are-dockers
E run --name c $IMG true
E rm c
E events --stream=false --since 2000-01-01T00:00:00Z --filter type=container --format '{{.Type}} {{.Status}} {{.Name}}'

@ events-filter-event
E create --name c $IMG true
E events --stream=false --since 2000-01-01T00:00:00Z --filter event=create --format '{{.Status}} {{.Name}}'

@ events-filter-container
E create --name a $IMG true
E create --name b $IMG true
E events --stream=false --since 2000-01-01T00:00:00Z --filter container=b --format '{{.Status}} {{.Name}}'

@ events-image-tag
E tag $IMG evt:1
E events --stream=false --since 2000-01-01T00:00:00Z --filter type=image --filter event=tag --format '{{.Type}} {{.Status}}'

@ events-until-past
E create --name c $IMG true
E events --stream=false --since 2000-01-01T00:00:00Z --until 2001-01-01T00:00:00Z

@ events-bad-filter differs=events-checks-its-arguments-as-docker-does
# an event first: podman 4.3 checks the filter only once its log exists
E volume create v0
E events --stream=false --filter nosuch=1

@ events-bad-since differs=events-checks-its-arguments-as-docker-does
E volume create v0
E events --stream=false --since notatime

@ events-volume
E volume create v1
E events --stream=false --since 2000-01-01T00:00:00Z --filter type=volume --format '{{.Type}} {{.Status}}'

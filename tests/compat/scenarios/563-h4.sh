# Small items of issue 18: --label-file, errors that store nothing.

@ label-file-create
printf '%s\n' '# comment' '' '  a=1' 'c= spaced value ' 'd=x=y' >labels.txt
E create --name lf --label-file labels.txt --label a=2 $IMG true
Q inspect --format '{{json .Config.Labels}}' lf
E create --label-file no-such-file $IMG true
Q ps -a -q | wc -l

@ label-file-pod
printf '%s\n' 'tier=web' '# x' 'team=a' >labels.txt
E pod create --name lp --label-file labels.txt --label tier=db
Q pod inspect --format '{{json .Labels}}' lp
E pod create --name lp2 --label-file no-such-file
E pod exists lp2

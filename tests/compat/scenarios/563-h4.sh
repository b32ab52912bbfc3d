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

@ authfile-malformed
printf '{not json' >bad.json
for cmd in "pull --tls-verify=false" "search --tls-verify=false"; do
  "${ENGINE[@]}" $cmd --authfile bad.json 127.0.0.1:9/x/y >/dev/null 2>err.txt
  echo "$cmd: exit $? names the file: $(grep -c 'bad.json' err.txt)"
done
"${ENGINE[@]}" push --tls-verify=false --authfile bad.json $IMG 127.0.0.1:9/x/y >/dev/null 2>err.txt
echo "push: exit $? names the file: $(grep -c 'bad.json' err.txt)"
"${ENGINE[@]}" login --tls-verify=false --authfile bad.json -u a -p b 127.0.0.1:9 >/dev/null 2>err.txt
echo "login: exit $? names the file: $(grep -c 'bad.json' err.txt)"

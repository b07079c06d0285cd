export XDG_DATA_HOME=$(mktemp -d)
Xvfb :57 -screen 0 1400x900x24 -nolisten tcp & XP=$!
eval $(dbus-launch --sh-syntax)
sleep 1
DISPLAY=:57 GSK_RENDERER=cairo GTK_A11Y=none PADDOCK_TEST_INTROSPECTION=1 timeout 25 $CARGO_TARGET_DIR/debug/paddock > /tmp/app.log 2>&1 &
AP=$!
sleep 5
gdbus call --session --dest io.github.paddockapp.Paddock.Devel --object-path /io/github/paddockapp/Paddock/Devel --method org.gtk.Actions.Activate about "[]" "{}"
sleep 3
DISPLAY=:57 import -window root $CARGO_TARGET_DIR/screenshots/debug.png
grep -v "CRITICAL\|Theme\|^$" /tmp/app.log | tail -20
kill $XP $DBUS_SESSION_BUS_PID $AP

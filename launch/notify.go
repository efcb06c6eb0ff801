package launch

import "github.com/coreos/go-systemd/v22/daemon"

// notifyReady tells systemd that the container's command started, when
// this urun is the main process of a Type=notify unit (`urun generate
// systemd` writes them): systemd then counts the unit as started. Without
// $NOTIFY_SOCKET it does nothing. The variable is dropped once used, so
// nothing urun starts later speaks for the unit. It says whether systemd
// was told.
func notifyReady() bool {
	sent, _ := daemon.SdNotify(true, daemon.SdNotifyReady)
	return sent
}

package idmap

import "github.com/urun/urun/idmap/freeids"

// FixCommand is the command an administrator runs to give user a block
// of subordinate ids no other user has (package freeids), reading the
// subuid, subgid and passwd files f names. ids are the user's own uid and
// gid, which a directory service may hold and no file shows.
func (f Files) FixCommand(user string, ids ...uint64) string {
	r, err := freeids.Suggest(freeids.Files{SubUID: f.path(UIDs), SubGID: f.path(GIDs), Passwd: f.Passwd}, ids...)
	if err != nil {
		return "sudo usermod --add-subuids START-END --add-subgids START-END " + user + " (a block of 65536 ids that no line of /etc/subuid or /etc/subgid has: " + err.Error() + ")"
	}
	return freeids.UsermodCommand(user, r)
}

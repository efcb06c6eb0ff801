package rootfscopy

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/config"
)

// ErrTerminal refuses to write a tar stream to a terminal.
var ErrTerminal = errors.New("Cowardly refusing to save to a terminal. Use the -o flag or redirect")

// Export writes container ref's whole file system (its image's layers with
// its own changes, deleted files gone) as a tar stream with the
// container's own uids and gids, as docker export does: to the file out,
// or to stdout when out is "". The file appears only once it is whole.
func Export(cfg *config.Config, ref, out string) error {
	if out == "" && term.IsTerminal(int(os.Stdout.Fd())) {
		return ErrTerminal
	}
	v, opts, err := readAccess(cfg, ref)
	if err != nil {
		return err
	}
	dest := os.Stdout
	var file *atomicfile.File
	if out != "" {
		// Unnamed until whole: a urun killed meanwhile leaves nothing.
		if file, err = atomicfile.Create(out, 0o666&^currentUmask()); err != nil {
			return err
		}
		defer file.Abort()
		dest = file.File
	}
	s, err := startStage(opts, request{Op: opExport, View: v}, nil, dest)
	if err != nil {
		return err
	}
	if err := s.finish(ref); err != nil {
		return err
	}
	if file == nil {
		return nil
	}
	return file.Commit()
}

// currentUmask is the process's umask, which a new file's mode obeys.
func currentUmask() os.FileMode {
	mask := unix.Umask(0)
	unix.Umask(mask)
	return os.FileMode(mask)
}

package rootfscopy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/term"

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
	if out != "" {
		if dest, err = createBeside(out); err != nil {
			return err
		}
		defer func() {
			dest.Close()
			os.Remove(dest.Name()) // gone already when renamed
		}()
	}
	s, err := startStage(opts, request{Op: opExport, View: v}, nil, dest)
	if err != nil {
		return err
	}
	if err := s.finish(ref); err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	if err := dest.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(dest.Name(), out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// createBeside creates a new temporary file in path's directory, with the
// mode a new file gets (0666 less the umask).
func createBeside(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for i := 0; ; i++ {
		tmp := filepath.Join(dir, "."+base+".urun-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) && i < 10 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		return f, nil
	}
}

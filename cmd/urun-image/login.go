//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
)

// maxPassword bounds what is read as a password (registry tokens are a few
// KiB).
const maxPassword = 1 << 20

func prepareLogin(r request.Login) (work, error) {
	return func(*config.Config) error { return login(r) }, nil
}

func login(r request.Login) error {
	registry := r.Registry
	if registry == "" {
		registry = local.DefaultRegistry
	}
	key, host, err := image.RegistryKey(registry)
	if err != nil {
		return err
	}
	if err := image.UseRuntimeDir(); err != nil {
		return err
	}
	check := func(username, password string) error {
		// Interruptible while it talks to the registry only: a prompt
		// must die on Ctrl-C, not wait for a line.
		ctx, cancel := signalContext()
		defer cancel()
		return image.CheckCredentials(ctx, key, host, username, password, r.Access)
	}

	password, havePassword, err := givenPassword(r)
	if err != nil {
		return err
	}
	username := r.Username
	if username == "" && !havePassword {
		// As Docker and podman: stored credentials that still work
		// need no prompt.
		stored, err := image.StoredCredentials(key, r.Access)
		if err != nil {
			return err
		}
		if stored.Username != "" && stored.Password != "" {
			fmt.Fprintf(os.Stderr, "Authenticating with existing credentials for %s\n", key)
			err := check(stored.Username, stored.Password)
			if err == nil {
				fmt.Println("Login Succeeded!")
				return nil
			}
			if !isTerminal(os.Stdin) {
				return err
			}
			fmt.Fprintf(os.Stderr, "The stored credentials do not work: %v\n", err)
		}
		username, err = promptUsername(stored.Username)
		if err != nil {
			return err
		}
	}
	if username == "" {
		return errors.New("no username given: pass --username (-u)")
	}
	if !havePassword {
		if password, err = promptPassword(); err != nil {
			return err
		}
	}
	if password == "" {
		return errors.New("no password given: a password is required")
	}
	if err := check(username, password); err != nil {
		return err
	}
	if _, err := image.StoreCredentials(key, username, password, r.Access); err != nil {
		return err
	}
	fmt.Println("Login Succeeded!")
	return nil
}

// givenPassword is the password urun passed (-p) or stdin holds
// (--password-stdin); without either, havePassword is false.
func givenPassword(r request.Login) (password string, havePassword bool, err error) {
	var src io.Reader
	switch {
	case r.Password != "":
		src = strings.NewReader(r.Password)
	case r.PasswordStdin:
		src = os.Stdin
	default:
		return "", false, nil
	}
	b, err := io.ReadAll(io.LimitReader(src, maxPassword))
	if err != nil {
		return "", false, fmt.Errorf("read the password: %w", err)
	}
	// As Docker: `echo PASSWORD | urun login --password-stdin` works.
	p := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	return p, true, nil
}

// promptUsername asks on the terminal, offering def.
func promptUsername(def string) (string, error) {
	if !isTerminal(os.Stdin) {
		return "", errors.New("no username given: pass --username (-u) (stdin is not a terminal to ask on)")
	}
	if def != "" {
		fmt.Fprintf(os.Stderr, "Username (%s): ", def)
	} else {
		fmt.Fprint(os.Stderr, "Username: ")
	}
	line, err := readLine(os.Stdin)
	if err != nil {
		return "", fmt.Errorf("read the username: %w", err)
	}
	if u := strings.TrimSpace(line); u != "" {
		return u, nil
	}
	return def, nil
}

// promptPassword asks on the terminal with echo turned off before the
// prompt shows (so nothing typed after it is echoed), and turned back on
// however the read ends, Ctrl-C included.
func promptPassword() (string, error) {
	fd := int(os.Stdin.Fd())
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", errors.New("no password given: pass --password-stdin and write it on stdin (stdin is not a terminal to ask on)")
	}
	quiet := *saved
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", fmt.Errorf("turn off the terminal's echo: %w", err)
	}
	restore := func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, saved) }
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			restore()
			fmt.Fprintln(os.Stderr)
			os.Exit(128 + int(sig.(unix.Signal)))
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(done)
		restore()
	}()
	fmt.Fprint(os.Stderr, "Password: ")
	line, err := readLine(os.Stdin)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimSuffix(line, "\r"), nil
}

// readLine reads up to a newline, a byte at a time so that nothing after
// it is taken from the terminal.
func readLine(f *os.File) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < maxPassword {
		n, err := f.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return string(line), nil
			}
			line = append(line, b[0])
		}
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return "", errors.New("end of input")
			}
			return string(line), nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("line too long")
}

func prepareLogout(r request.Logout) (work, error) {
	if r.All && r.Registry != "" {
		return nil, errors.New("--all removes every registry's credentials: give no registry with it")
	}
	registry := r.Registry
	if registry == "" {
		registry = local.DefaultRegistry
	}
	access := image.AccessOptions{AuthFile: r.AuthFile}
	return func(*config.Config) error {
		if err := image.UseRuntimeDir(); err != nil {
			return err
		}
		if r.All {
			if err := image.LogoutAll(access); err != nil {
				return err
			}
			fmt.Println("Removed login credentials for all registries")
			return nil
		}
		key, _, err := image.RegistryKey(registry)
		if err != nil {
			return err
		}
		err = image.Logout(key, access)
		if errors.Is(err, image.ErrNotLoggedIn) {
			// As Docker: not an error.
			fmt.Printf("Not logged in to %s\n", key)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Printf("Removed login credentials for %s\n", key)
		return nil
	}, nil
}

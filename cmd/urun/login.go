package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newLoginCommand(g *globals) *cobra.Command {
	var r request.Login
	var tlsVerify bool
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Long: `Log in to a registry (Docker Hub when no SERVER is given): check the
credentials with it, then store them for pull, push and search in
$XDG_RUNTIME_DIR/containers/auth.json (mode 0600; --authfile or
$REGISTRY_AUTH_FILE choose another file), the file podman and skopeo use.
What is not given is asked on the terminal, the password without echo.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				r.Registry = args[0]
			}
			r.Access.TLSVerify = tlsVerifyFlag(cmd, tlsVerify)
			return helper.Login(g.store(), r, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&r.Username, "username", "u", "", "user name")
	f.StringVarP(&r.Password, "password", "p", "", "password (insecure: other users may see it; use --password-stdin)")
	f.BoolVar(&r.PasswordStdin, "password-stdin", false, "read the password from stdin")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	f.StringVar(&r.Access.AuthFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)")
	return cmd
}

func newLogoutCommand(g *globals) *cobra.Command {
	var r request.Logout
	cmd := &cobra.Command{
		Use:   "logout [OPTIONS] [SERVER]",
		Short: "Log out from a registry",
		Long: `Remove the credentials 'urun login' stored for SERVER (Docker Hub when
none is given), or for every registry with --all.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				r.Registry = args[0]
			}
			return helper.Run(request.Request{Store: g.store(), Logout: &r})
		},
	}
	cmd.Flags().BoolVarP(&r.All, "all", "a", false, "remove the credentials of every registry")
	cmd.Flags().StringVar(&r.AuthFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)")
	return cmd
}

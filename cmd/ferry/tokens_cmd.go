package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/sqlite"
)

const tokensUsage = `tokens create --name NAME --role ROLE [--output json]   (roles: viewer, invoker, operator, approver, admin)
       ferry tokens list [--output json]
       ferry tokens revoke NAME|ID`

// cmdTokens is `ferry tokens`: the identities that may use the HTTP API.
func cmdTokens(ctx context.Context, m *Main, args []string) error {
	return runSubcommand(ctx, m, tokensUsage, map[string]subcommand{
		"create": tokensCreate,
		"list":   tokensList,
		"revoke": tokensRevoke,
	}, args)
}

// Keyring returns the home's keyring: FERRY_SECRET_KEY when set (hex or
// base64, at least 32 bytes), else FERRY_HOME/secret.key, created with mode
// 0600 on first use.
func (m *Main) Keyring() (*auth.Keyring, error) {
	if text := m.Getenv("FERRY_SECRET_KEY"); text != "" {
		k, err := auth.ParseKeyring(text)
		if err != nil {
			return nil, fmt.Errorf("FERRY_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	return auth.OpenKeyring(filepath.Join(m.Home(), "secret.key"))
}

// Tokens returns the home's token service.
func (m *Main) Tokens(ctx context.Context) (*auth.Service, error) {
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := m.Keyring()
	if err != nil {
		return nil, err
	}
	return auth.NewService(sqlite.NewTokenStore(db), keys, nil), nil
}

// createdToken is the JSON of `tokens create --output json`: the
// credentials, shown once, and the token's record.
type createdToken struct {
	auth.Secrets
	ID   string    `json:"id"`
	Name string    `json:"name"`
	Role auth.Role `json:"role"`
}

func tokensCreate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("tokens create", "--name NAME --role ROLE [--output json]")
	name := fs.String("name", "", "the token's name (letters, digits and .-_@); recorded as who approved")
	roleName := fs.String("role", "", "viewer, invoker, operator, approver or admin")
	out := outputFlag(fs)
	if _, err := parseArgs(fs, args, out, 0, unexpectedArg); err != nil {
		return err
	}
	if *name == "" || *roleName == "" {
		fs.Usage()
		return &exitError{2, "--name and --role are required"}
	}
	role, err := auth.ParseRole(*roleName)
	if err != nil {
		return usageError("--role: %v", err)
	}
	if err := auth.ValidateName(*name); err != nil {
		return usageError("--name: %v", err)
	}
	svc, err := m.Tokens(ctx)
	if err != nil {
		return err
	}
	tok, sec, err := svc.Create(ctx, *name, role)
	if errors.Is(err, auth.ErrTokenExists) {
		return fmt.Errorf("a token named %s exists (ferry tokens revoke %s frees the name)", *name, *name)
	}
	if err != nil {
		return err
	}
	return m.emit(*out, createdToken{Secrets: sec, ID: tok.ID, Name: tok.Name, Role: tok.Role}, func() error {
		fmt.Fprintf(m.Stdout, "Created token %s (%s), role %s.\n\n", tok.Name, tok.ID, tok.Role)
		fmt.Fprintf(m.Stdout, "  token:             %s\n", sec.Token)
		fmt.Fprintf(m.Stdout, "  access key id:     %s\n", sec.AccessKeyID)
		fmt.Fprintf(m.Stdout, "  secret access key: %s\n\n", sec.SecretAccessKey)
		fmt.Fprintln(m.Stdout, "Copy them now: Ferry stores only a hash of the token and will not show them again.")
		fmt.Fprintln(m.Stdout, "Send the token as 'Authorization: Bearer TOKEN' (or FERRY_TOKEN for ferry --server).")
		return nil
	})
}

func tokensList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("tokens list", "[--output json]")
	out := outputFlag(fs)
	if _, err := parseArgs(fs, args, out, 0, unexpectedArg); err != nil {
		return err
	}
	svc, err := m.Tokens(ctx)
	if err != nil {
		return err
	}
	toks, err := svc.List(ctx)
	if err != nil {
		return err
	}
	return m.emit(*out, nonNil(toks), func() error {
		return writeTable(m.Stdout, "ID\tNAME\tROLE\tTOKEN\tACCESS KEY ID\tCREATED\tLAST USED\tSTATUS", func(tw io.Writer) {
			for _, t := range toks {
				last, status := "never", "active"
				if t.LastUsed != nil {
					last = fmtWhen(*t.LastUsed)
				}
				if t.Revoked != nil {
					status = "revoked " + fmtWhen(*t.Revoked)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s...\t%s\t%s\t%s\t%s\n",
					t.ID, t.Name, t.Role, t.Prefix, t.AccessKeyID, fmtWhen(t.CreatedAt), last, status)
			}
		})
	})
}

func tokensRevoke(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("tokens revoke", "NAME|ID")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry tokens revoke NAME|ID"))
	if err != nil {
		return err
	}
	svc, err := m.Tokens(ctx)
	if err != nil {
		return err
	}
	if err := svc.Revoke(ctx, pos[0]); errors.Is(err, auth.ErrTokenNotFound) {
		return fmt.Errorf("no active token has the name or id %q (ferry tokens list shows them)", pos[0])
	} else if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Revoked token %s.\n", pos[0])
	return nil
}

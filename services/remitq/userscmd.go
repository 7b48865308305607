package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/auth"
)

func init() {
	register(command{name: "users add", usage: "--email EMAIL --role admin|supervisor|biller|analyst [--name NAME] [--practice ID[:NPI]]...  add or update an API user", run: runUsersAdd})
	register(command{name: "users list", usage: "  the API users as JSON lines", run: runUsersList})
	register(command{name: "token", usage: "--email EMAIL [--ttl 12h]  print a bearer JWT for a user (HS256 key of the data folder or REMITQ_JWT_KEY)", run: runToken})
	register(command{name: "apikey create", usage: "--email EMAIL [--name NAME] [--ttl DURATION]  print a new API key for a user (shown once)", run: runAPIKeyCreate})
	register(command{name: "apikey revoke", usage: "--id ID  revoke an API key", run: runAPIKeyRevoke})
}

// scopeList is a repeatable --practice ID[:NPI] flag.
type scopeList []auth.Scope

func (s *scopeList) String() string {
	var parts []string
	for _, x := range *s {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ",")
}

func (s *scopeList) Set(v string) error {
	sc, err := auth.ParseScope(v)
	if err != nil {
		return err
	}
	*s = append(*s, sc)
	return nil
}

func runUsersAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	var u auth.User
	var role string
	var scopes scopeList
	fs.StringVar(&u.Email, "email", "", "the user's email address (the JWT subject)")
	fs.StringVar(&u.Name, "name", "", "the user's name")
	fs.StringVar(&role, "role", "", "admin, supervisor, biller or analyst")
	fs.Var(&scopes, "practice", "a practice the user sees, ID or ID:NPI for one rendering provider (repeatable; admins need none)")
	if err := fs.Parse(args); err != nil || u.Email == "" || role == "" || fs.NArg() > 0 {
		return errUsage
	}
	u.Role, u.Scopes = auth.Role(role), scopes
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	if err := auth.AddUser(ctx, e.deps.DB, &u); err != nil {
		return err
	}
	fmt.Printf("user %d: %s, %s, scopes [%s]\n", u.ID, u.Email, u.Role, scopes.String())
	return nil
}

func runUsersList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users list", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	var ids []int64
	if err := e.deps.DB.SelectContext(ctx, &ids, `SELECT id FROM users ORDER BY id`); err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, id := range ids {
		u, err := auth.UserByID(ctx, e.deps.DB, id)
		if err != nil {
			return err
		}
		if err := enc.Encode(u); err != nil {
			return err
		}
	}
	return nil
}

// activeUser opens the environment and reads an enabled user.
func activeUser(ctx context.Context, ef *envFlags, email string) (*env, *auth.User, error) {
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return nil, nil, err
	}
	u, err := auth.UserByEmail(ctx, e.deps.DB, email)
	if errors.Is(err, auth.ErrNotFound) {
		e.Close()
		return nil, nil, fmt.Errorf("no user %s: add it with remitq users add", email)
	}
	if err == nil && u.Disabled {
		err = fmt.Errorf("user %s is disabled", email)
	}
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, u, nil
}

func runToken(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	var ac auth.Config
	ac.Flags(fs)
	email := fs.String("email", "", "the user's email address")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil || *email == "" || fs.NArg() > 0 || *ttl <= 0 {
		return errUsage
	}
	e, u, err := activeUser(ctx, &ef, *email)
	if err != nil {
		return err
	}
	e.Close()
	key, err := ac.HS256Secret(ef.data)
	if err != nil {
		return err
	}
	if key == nil {
		return errors.New("no HS256 key: with RS256 keys configured, tokens come from the identity provider")
	}
	tok, err := auth.IssueHS256(key, u.Email, ac.Issuer, *ttl, time.Now())
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

func runAPIKeyCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	email := fs.String("email", "", "the user's email address")
	name := fs.String("name", "", "what the key is for")
	ttl := fs.Duration("ttl", 0, "how long the key is valid (0: until revoked)")
	if err := fs.Parse(args); err != nil || *email == "" || fs.NArg() > 0 || *ttl < 0 {
		return errUsage
	}
	e, u, err := activeUser(ctx, &ef, *email)
	if err != nil {
		return err
	}
	defer e.Close()
	secret, k, err := auth.CreateAPIKey(ctx, e.deps.DB, u.ID, *name, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "API key %d for %s (shown once; only its hash is stored):\n", k.ID, u.Email)
	fmt.Println(secret)
	return nil
}

func runAPIKeyRevoke(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apikey revoke", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	id := fs.String("id", "", "the key's id")
	if err := fs.Parse(args); err != nil || *id == "" || fs.NArg() > 0 {
		return errUsage
	}
	n, err := strconv.ParseInt(*id, 10, 64)
	if err != nil {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	if err := auth.RevokeAPIKey(ctx, e.deps.DB, n); err != nil {
		return err
	}
	fmt.Printf("API key %d revoked\n", n)
	return nil
}

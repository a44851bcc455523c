"""``matching-engine``: start the server (``serve``)."""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys


def _retention(text: str) -> str:
    from api.config import parse_duration_s

    try:
        parse_duration_s(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matching-engine", description="Matching engine server and tools")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the REST + Socket.IO server and the dashboard")
    serve.add_argument("--host", default=os.environ.get("ME_HOST", "127.0.0.1"), help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("ME_PORT", "5000")), help="port (default 5000)")
    serve.add_argument("--debug", action="store_true", help="debug logging (per-order lines)")
    serve.add_argument("--async-mode", choices=["eventlet", "threading"], default=os.environ.get("ME_ASYNC_MODE", "eventlet"))
    serve.add_argument("--symbols", choices=["crypto", "forex"], default=os.environ.get("ME_SYMBOLS", "crypto"))
    serve.add_argument("--rate-limit", default=None, help="Flask-Limiter limit per client address, e.g. '1000 per second'")
    serve.add_argument("--no-rate-limit", action="store_true", help="disable rate limiting")
    serve.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING...")
    serve.add_argument("--log-file", default=None, help="also write logs to this file")
    serve.add_argument("--cors-origins", default=None, help="comma-separated origins allowed for Socket.IO")
    serve.add_argument("--l2-interval-ms", type=int, default=None, help="l2_update conflation interval (default 100)")
    serve.add_argument("--data-dir", default=os.environ.get("ME_DATA_DIR"),
                       help="where the journal, snapshots and history live (default: ~/.local/share/matching-engine)")
    serve.add_argument("--fsync", choices=["always", "batch", "off"], default=os.environ.get("ME_FSYNC", "always"),
                       help="always: acknowledge after fsync (group commit); batch: fsync every --fsync-batch-ms; "
                            "off: keep nothing (in memory)")
    serve.add_argument("--fsync-batch-ms", type=int, default=None, help="batch policy: fsync interval (default 10)")
    serve.add_argument("--snapshot-interval", type=int, default=None, help="seconds between snapshots (default 300)")
    serve.add_argument("--history-retention", default=os.environ.get("ME_HISTORY_RETENTION"), type=_retention,
                       help="delete order and trade history older than this, e.g. 7d, 12h (default: keep everything)")
    serve.add_argument("--snapshot-mode", choices=["fork", "inline"], default=None,
                       help="fork (default): periodic snapshots are built by a copy-on-write child process, so "
                            "matching pauses only for the fork; inline: built under the engine lock")
    serve.add_argument("--header-timeout", type=float, default=None,
                       help="seconds a request head may take to arrive, from its start (default 10)")
    serve.add_argument("--keepalive-timeout", type=float, default=None,
                       help="seconds an idle kept-alive connection is kept open (default 5)")
    serve.add_argument("--max-connections", type=int, default=None,
                       help="simultaneous connections, WebSockets included; past it a 503 (default 10000)")
    serve.add_argument("--ws-max-message-bytes", type=int, default=None,
                       help="largest Socket.IO message accepted from a client (default 16384)")
    serve.add_argument("--ws-max-pending", type=int, default=None,
                       help="messages queued for a Socket.IO client past which it is disconnected (default 1000)")
    serve.add_argument("--ws-send-buffer-bytes", type=int, default=None,
                       help="kernel send buffer of a WebSocket connection (default 65536)")
    serve.add_argument("--ws-subscribe-rate", type=float, default=None,
                       help="subscribe/unsubscribe messages a second per Socket.IO connection (default 20)")

    serve.add_argument("--admin-key", default=os.environ.get("ME_ADMIN_KEY"),
                       help="the key for /admin/... (X-Admin-Key); without one the admin endpoints do not exist "
                            "(a key that starts with '-' is written --admin-key=KEY)")
    serve.add_argument("--no-demo", action="store_true",
                       help="do not create the two demo accounts on a fresh start")

    accounts = sub.add_parser("accounts", help="create and manage accounts and API keys of a stopped server")
    accounts.add_argument("action", choices=["create", "list", "new-key", "disable", "enable", "revoke-key",
                                             "deposit", "withdraw"],
                          help="create NAME; list; new-key ACCOUNT; disable ACCOUNT; enable ACCOUNT; "
                               "revoke-key KEY_ID; deposit ACCOUNT ASSET AMOUNT; withdraw ACCOUNT ASSET AMOUNT "
                               "(ACCOUNT is an id or a name)")
    accounts.add_argument("target", nargs="?", help="NAME, ACCOUNT or KEY_ID")
    accounts.add_argument("asset", nargs="?", help="deposit/withdraw: the asset, e.g. USDT")
    accounts.add_argument("amount", nargs="?", help="deposit/withdraw: the amount, a decimal, e.g. 1000.50")
    accounts.add_argument("--data-dir", default=os.environ.get("ME_DATA_DIR"), help="the data directory")
    accounts.add_argument("--json", action="store_true", help="print one JSON object")
    accounts.add_argument("--symbols", choices=["crypto", "forex"], default=os.environ.get("ME_SYMBOLS", "crypto"),
                          help="the preset for a new data directory (default crypto)")

    journal = sub.add_parser("journal", help="check a data directory without starting the server")
    journal.add_argument("action", choices=["verify", "snapshot", "stats", "compact", "truncate"],
                         help="verify: check every record and snapshot, recover as start-up does, and replay again from the "
                              "older snapshot to compare; snapshot: replay, then write a snapshot and "
                              "compact; stats: sizes and positions; compact: same as snapshot; truncate: discard "
                              "every record after --after (the only way past a corrupt batch), printing each")
    journal.add_argument("--data-dir", default=os.environ.get("ME_DATA_DIR"), help="the data directory")
    journal.add_argument("--after", type=int, help="truncate: the last journal record to keep")
    return parser


def serve(args: argparse.Namespace) -> int:
    if args.async_mode == "eventlet":
        # Must happen before Flask, Socket.IO or threading-using modules are imported.
        import warnings

        with warnings.catch_warnings():
            # Eventlet announces its bug-fix-only status on import; the README covers it.
            warnings.simplefilter("ignore")
            import eventlet

        eventlet.monkey_patch()
    from api import gc_policy
    from api.app import create_app
    from api.extensions import socketio_of

    config: dict[str, object] = {"HOST": args.host, "PORT": args.port, "ASYNC_MODE": args.async_mode, "SYMBOLS": args.symbols}
    if args.debug:
        config["LOG_LEVEL"] = "DEBUG"
    if args.log_level:
        config["LOG_LEVEL"] = args.log_level
    if args.log_file:
        config["LOG_FILE"] = args.log_file
    if args.rate_limit:
        config["RATE_LIMIT"] = args.rate_limit
    if args.no_rate_limit:
        config["RATE_LIMIT_ENABLED"] = False
    if args.admin_key:
        config["ADMIN_KEY"] = args.admin_key
    if args.no_demo:
        config["DEMO_ACCOUNTS"] = False
    if args.cors_origins is not None:
        config["CORS_ORIGINS"] = args.cors_origins
    if args.l2_interval_ms is not None:
        config["L2_INTERVAL_MS"] = args.l2_interval_ms
    if args.fsync != "off":
        from api.storage.store import default_data_dir

        config["DATA_DIR"] = args.data_dir or str(default_data_dir())
    config["FSYNC"] = args.fsync
    if args.fsync_batch_ms is not None:
        config["FSYNC_BATCH_MS"] = args.fsync_batch_ms
    if args.snapshot_interval is not None:
        config["SNAPSHOT_INTERVAL_S"] = args.snapshot_interval
    if args.snapshot_mode is not None:
        config["SNAPSHOT_MODE"] = args.snapshot_mode
    if args.history_retention is not None:
        config["HISTORY_RETENTION"] = args.history_retention
    for option, key in (("header_timeout", "HEADER_TIMEOUT_S"), ("keepalive_timeout", "KEEPALIVE_TIMEOUT_S"),
                        ("max_connections", "MAX_CONNECTIONS"), ("ws_max_message_bytes", "WS_MAX_MESSAGE_BYTES"),
                        ("ws_max_pending", "WS_MAX_PENDING_MESSAGES"), ("ws_subscribe_rate", "WS_SUBSCRIBE_RATE"),
                        ("ws_send_buffer_bytes", "WS_SEND_BUFFER_BYTES")):
        if getattr(args, option) is not None:
            config[key] = getattr(args, option)
    from api.storage import StoreError

    try:
        app = create_app(config)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Everything built so far (modules, the app, a recovered book) lives as long as the process,
    # and so does most of what survives a full collection later: keep both out of the
    # collector's full scans, which would otherwise grow with the books (api/gc_policy.py).
    gc_policy.install()
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Matching engine {app.extensions['me_version']} ({args.async_mode}, symbols: {', '.join(app.extensions['matching_engine'].symbols)})", flush=True)
    store = app.extensions.get("me_store")
    if store is None:
        print("Durability: off (in memory; a restart starts empty)", flush=True)
    else:
        detail = "acknowledged after fsync, group commit" if args.fsync == "always" else \
            f"fsync every {app.config['FSYNC_BATCH_MS']} ms"
        # what recovery found is in the log (api.durability), once
        print(f"Durability: fsync={args.fsync} ({detail}); data: {store.path}", flush=True)
    print(f"Dashboard: http://{shown}:{args.port}/   API docs: http://{shown}:{args.port}/docs", flush=True)
    demo = app.extensions.get("me_demo_keys") if app.extensions.get("me_demo_created") else None
    if demo:
        from api.demo import keys_path

        kept = keys_path(app)
        print("Demo accounts (the dashboard signs in with them; use a key with curl as -H \"X-API-Key: <key>\"):",
              flush=True)
        for entry in demo:
            print(f"  {entry['name']} (account {entry['account_id']}): {entry['api_key']}", flush=True)
        if kept is not None:
            print(f"  (kept for the dashboard in {kept}; --no-demo skips them)", flush=True)
    if app.config.get("ADMIN_KEY"):
        print("Admin: /admin/... enabled (X-Admin-Key)", flush=True)
    if args.async_mode == "eventlet":
        import eventlet
        import eventlet.hubs

        main_greenlet = eventlet.getcurrent()

        def stop(signum: int, frame: object) -> None:
            # Raised in the main green thread (the accept loop), never in whatever connection's
            # code the signal interrupted: a Socket.IO handler there would catch and log it, and
            # the server would keep running.
            eventlet.hubs.get_hub().schedule_call_global(0, main_greenlet.throw, KeyboardInterrupt)
    else:
        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt  # same clean shutdown as Ctrl-C: final snapshot, journal closed

    signal.signal(signal.SIGTERM, stop)
    # Set explicitly: a server started in the background by a script inherits SIGINT ignored.
    signal.signal(signal.SIGINT, stop)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C and SIGTERM: a clean stop
            if args.async_mode == "threading":
                from api.threading_server import request_handler

                socketio_of(app).run(app, host=args.host, port=args.port, debug=False, use_reloader=False,
                             log_output=False, allow_unsafe_werkzeug=True,
                             request_handler=request_handler(app.config["HEADER_TIMEOUT_S"]))
            else:
                _serve_eventlet(app, args.host, args.port)
    finally:
        print("Stopping" + (": writing a final snapshot" if store is not None else ""), flush=True)
        app.extensions["me_feed"].stop()
        from api.durability import close_store

        close_store(app)
    return 0


def _serve_eventlet(app: object, host: str, port: int) -> None:
    from dataclasses import replace

    from api.connections import ConnectionLimits, fit_open_files, serve_eventlet
    from api.protocol import protocol_for

    limits = ConnectionLimits.from_config(app.config)  # type: ignore[attr-defined]
    limits = replace(limits, max_connections=fit_open_files(limits.max_connections))
    print(f"Connections: at most {limits.max_connections}; request heads within {limits.header_timeout_s:g} s, "
          f"idle keep-alive {limits.keepalive_timeout_s:g} s", flush=True)
    # eventlet's HTTP protocol with a lean header parser, POST /order answered directly, and timeouts.
    protocol = protocol_for(app.extensions["me_order_entry"], limits)  # type: ignore[attr-defined]
    metrics = app.extensions["me_metrics"]  # type: ignore[attr-defined]
    serve_eventlet(app, host, port, limits, protocol, on_refused=metrics.connections_refused.inc)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    if args.command == "serve":
        return serve(args)
    if args.command == "accounts":
        from api.account_tool import run_accounts_command

        return run_accounts_command(args.action, args.target, args.data_dir, args.json, args.symbols, args.asset,
                                    args.amount)
    if args.command == "journal":
        from api.admin import run_journal_command

        return run_journal_command(args.action, args.data_dir, args.after)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

%% lc_server: the SERVER side of the book's lib_chan ("Programming Erlang",
%% socket_dist: lib_chan:start_server/1, lib_chan_cs, the server half of
%% lib_chan_mm, lib_chan_auth), written again for the interop tests.
%%
%% Wire behaviour is the original's (PROTOCOL-FACTS.md 1.1-1.6):
%%   listen [binary, {packet,4}, {reuseaddr,true}, {active,true}, {nodelay,true}];
%%   one middle-man (MM) process per connection, which spawn_links a
%%   controller; the controller answers {startService, Name, ArgsC} with
%%   badService (then closes), ack (password none) or {challenge, C}
%%   (C = 25 random letters a-z); {response, R} gets ack if R is the
%%   lowercase hex md5(C ++ Pwd), else authFail (then closes); after ack the
%%   controller runs apply(M, F, [MM, ArgsC, ArgsS]). The handler gets
%%   {chan, MM, Term} and {chan_closed, MM} and sends with MM ! {send, Term}.
%% Differences on purpose (test hygiene, invisible on the wire when the
%% client behaves): port 0 is allowed, conf terms other than {port, _} and
%% the 8-tuple service are ignored (so the TypeScript server's conf can be
%% shared), a closed or garbage connection during the handshake ends the
%% controller instead of leaking it, passwords are never printed.
%%
%% Command line:
%%   erl -noshell -pa DIR -run lc_server main path/to/lib_chan.conf
%% prints "READY <port>" on stdout once listening, and runs until killed
%% (or until stdin closes if LC_HALT_ON_STDIN_EOF=1).
-module(lc_server).
-export([main/1, start/1]).

main([Conf0]) ->
    Conf = case Conf0 of A when is_atom(A) -> atom_to_list(A); L -> L end,
    case os:getenv("LC_HALT_ON_STDIN_EOF") of
        "1" -> spawn(fun() -> wait_stdin_eof() end);
        _ -> ok
    end,
    case start(Conf) of
        {ok, Port} ->
            io:format("READY ~w~n", [Port]);
        {error, Why} ->
            io:format(standard_error, "lc_server: cannot start: ~p~n", [Why]),
            halt(1)
    end.

%% -> {ok, RealPort} | {error, Reason}
start(ConfFile) ->
    case file:consult(ConfFile) of
        {ok, Terms} ->
            case check_conf(Terms) of
                {ok, Port, Services} ->
                    kvs:start(),
                    Self = self(),
                    Pid = spawn(fun() -> listener(Self, Port, Services) end),
                    receive
                        {Pid, Result} -> Result
                    end;
                {error, _} = E ->
                    E
            end;
        {error, Why} ->
            {error, {eDaemonConfig, Why}}
    end.

check_conf(Terms) ->
    Ports = [P || {port, P} <- Terms, is_integer(P)],
    Services = [{Name, Pwd, {M, F, A}}
                || {service, Name, password, Pwd, mfa, M, F, A} <- Terms],
    [log("ignoring conf term ~P", [T, 6]) || T <- Terms, not known_term(T)],
    case Ports of
        [Port] -> {ok, Port, Services};
        _ -> {error, {eDaemonConfig, {ports, Ports}}}
    end.

known_term({port, P}) when is_integer(P) -> true;
known_term({service, _, password, _, mfa, _, _, _}) -> true;
known_term(_) -> false.

%%--------------------------------------------------------------------------
%% Listener and acceptors (lib_chan_cs): the accepting process becomes the MM.

listener(Parent, Port, Services) ->
    Opts = [binary, {packet, 4}, {reuseaddr, true}, {active, true}, {nodelay, true}],
    case gen_tcp:listen(Port, Opts) of
        {ok, Listen} ->
            {ok, RealPort} = inet:port(Listen),
            spawn(fun() -> acceptor(Listen, Services) end),
            Parent ! {self(), {ok, RealPort}},
            receive stop -> gen_tcp:close(Listen) end;
        {error, Why} ->
            Parent ! {self(), {error, {listen, Port, Why}}}
    end.

acceptor(Listen, Services) ->
    case gen_tcp:accept(Listen) of
        {ok, Socket} ->
            spawn(fun() -> acceptor(Listen, Services) end),
            ok = inet:setopts(Socket, [{packet, 4}, binary, {nodelay, true}, {active, true}]),
            mm_start(Socket, Services);
        {error, closed} ->
            ok;
        {error, Why} ->
            log("accept failed: ~p", [Why]),
            spawn(fun() -> acceptor(Listen, Services) end)
    end.

%%--------------------------------------------------------------------------
%% The middle-man (lib_chan_mm, server side).

mm_start(Socket, Services) ->
    process_flag(trap_exit, true),
    MM = self(),
    Controller = spawn_link(fun() -> controller(MM, Services) end),
    mm_loop(Socket, Controller).

mm_loop(Socket, Controller) ->
    receive
        {tcp, Socket, Bin} ->
            case catch binary_to_term(Bin) of
                {'EXIT', _} ->
                    log("~s sent a frame that is not a term (~w bytes); closing",
                        [peer(Socket), byte_size(Bin)]),
                    gen_tcp:close(Socket),
                    Controller ! {chan_closed, self()};
                Term ->
                    Controller ! {chan, self(), Term},
                    mm_loop(Socket, Controller)
            end;
        {tcp_closed, Socket} ->
            Controller ! {chan_closed, self()};
        {tcp_error, Socket, _} ->
            gen_tcp:close(Socket),
            Controller ! {chan_closed, self()};
        {send, Term} ->
            _ = gen_tcp:send(Socket, term_to_binary(Term)),
            mm_loop(Socket, Controller);
        close ->
            gen_tcp:close(Socket);
        {'EXIT', Controller, _} ->
            gen_tcp:close(Socket)
    end.

peer(Socket) ->
    case inet:peername(Socket) of
        {ok, {Ip, Port}} -> io_lib:format("~s:~w", [inet:ntoa(Ip), Port]);
        _ -> "peer"
    end.

%%--------------------------------------------------------------------------
%% The controller: handshake (lib_chan:start_erl_port_server/2,
%% do_authentication/4), then the handler in the same process (really_start).

controller(MM, Services) ->
    receive
        {chan, MM, {startService, Name, ArgsC}} ->
            case lists:keyfind(Name, 1, Services) of
                {Name, none, MFA} ->
                    MM ! {send, ack},
                    really_start(MM, ArgsC, MFA);
                {Name, Pwd, MFA} ->
                    do_authentication(Pwd, MM, ArgsC, MFA);
                false ->
                    log("sending bad service ~w", [Name]),
                    MM ! {send, badService},
                    MM ! close
            end;
        {chan, MM, Other} ->
            log("protocol violation: ~P; closing", [Other, 8]),
            MM ! close;
        {chan_closed, MM} ->
            ok
    end.

do_authentication(Pwd, MM, ArgsC, MFA) ->
    C = make_challenge(),
    MM ! {send, {challenge, C}},
    receive
        {chan, MM, {response, R}} ->
            case R =:= make_response(C, Pwd) of
                true ->
                    MM ! {send, ack},
                    really_start(MM, ArgsC, MFA);
                false ->
                    MM ! {send, authFail},
                    MM ! close
            end;
        {chan, MM, Other} ->
            log("protocol violation during the challenge: ~P; closing", [Other, 8]),
            MM ! close;
        {chan_closed, MM} ->
            ok
    end.

make_challenge() ->
    [$a + rand:uniform(26) - 1 || _ <- lists:seq(1, 25)].

%% lib_md5:string(C ++ Pwd): lowercase hex of erlang:md5/1 of the iolist.
make_response(C, Pwd) ->
    lists:flatten([io_lib:format("~2.16.0b", [B]) || <<B>> <= erlang:md5(C ++ Pwd)]).

really_start(MM, ArgsC, {Mod, Func, ArgsS}) ->
    case (catch apply(Mod, Func, [MM, ArgsC, ArgsS])) of
        {'EXIT', normal} -> true;
        {'EXIT', Why} -> log("server error:~p", [Why]);
        Why -> log("server error should die with exit(normal) was:~p", [Why])
    end.

%%--------------------------------------------------------------------------

log(Fmt, Args) ->
    io:format(standard_error, "lc_server: " ++ Fmt ++ "~n", Args).

wait_stdin_eof() ->
    case io:get_line(standard_io, "") of
        eof -> halt(2);
        {error, _} -> halt(2);
        _ -> wait_stdin_eof()
    end.

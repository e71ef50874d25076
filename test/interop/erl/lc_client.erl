%% lc_client: the CLIENT side of the book's lib_chan ("Programming Erlang",
%% socket_dist: lib_chan:connect/5, cast/2, rpc/2, disconnect/1 and the
%% client half of lib_chan_mm), written again for the interop tests.
%%
%% Wire behaviour is the original's (PROTOCOL-FACTS.md 1.1-1.3):
%%   gen_tcp [binary, {packet,4}, {active,true}], one term_to_binary/1 per
%%   frame, {startService, Service, ArgsC}, then {challenge, C} answered by
%%   {response, lowercase_hex(md5(C ++ Password))} as a string, then ack /
%%   authFail / badService, then bare terms both ways.
%% Differences on purpose (test hygiene, not on the wire): connect and rpc
%% have 5 s timeouts, the middle-man is linked to its owner, and a failed
%% connect closes its socket.
%%
%% Command line (see main/1):
%%   erl -noshell -pa DIR -run lc_client main session Host Port Service Password
%%   erl -noshell -pa DIR -run lc_client main garbage Host Port
%% Both print exactly one line "RESULT <hex of term_to_binary(Result)>" on
%% stdout (garbage mode prints "SENT" first), then halt.
-module(lc_client).
-export([connect/5, cast/2, rpc/2, rpc/3, disconnect/1, response/2]).
-export([main/1]).

-define(TIMEOUT, 5000).

%%--------------------------------------------------------------------------
%% The lib_chan client API.

%% -> {ok, MM} | {error, badService | authFail | Reason}
connect(Host, Port, Service, Password, ArgsC) ->
    Owner = self(),
    MM = spawn_link(fun() -> mm_start(Owner, Host, Port) end),
    receive
        {MM, connected} ->
            case authenticate(MM, Service, Password, ArgsC) of
                ok ->
                    {ok, MM};
                {error, _} = Error ->
                    close_mm(MM),
                    Error
            end;
        {MM, {error, _} = Error} ->
            Error
    after ?TIMEOUT ->
        close_mm(MM),
        {error, connect_timeout}
    end.

authenticate(MM, Service, Password, ArgsC) ->
    MM ! {send, {startService, Service, ArgsC}},
    case recv(MM) of
        {ok, ack} ->
            ok;
        {ok, {challenge, C}} ->
            MM ! {send, {response, response(C, Password)}},
            case recv(MM) of
                {ok, ack} -> ok;
                {ok, authFail} -> {error, authFail};
                {ok, Other} -> {error, {unexpected, Other}};
                {error, _} = E -> E
            end;
        {ok, badService} ->
            {error, badService};
        {ok, Other} ->
            {error, {unexpected, Other}};
        {error, _} = E ->
            E
    end.

%% One message from the middle-man, or the reason there is none.
recv(MM) ->
    receive
        {chan, MM, Term} -> {ok, Term};
        {chan_closed, MM} -> {error, {chan_closed, MM}}
    after ?TIMEOUT ->
        {error, timeout}
    end.

%% lib_md5:string(C ++ Password): md5 of the iolist, 32 lowercase hex chars.
response(Challenge, Password) ->
    lists:flatten([io_lib:format("~2.16.0b", [B]) || <<B>> <= erlang:md5(Challenge ++ Password)]).

cast(MM, Msg) ->
    MM ! {send, Msg},
    ok.

%% As lib_chan:rpc/2 (the next {chan, MM, Reply}, no correlation), with a timeout.
rpc(MM, Msg) ->
    rpc(MM, Msg, ?TIMEOUT).

rpc(MM, Msg, Timeout) ->
    MM ! {send, Msg},
    receive
        {chan, MM, Reply} -> Reply;
        {chan_closed, MM} -> {error, {chan_closed, MM}}
    after Timeout ->
        {error, timeout}
    end.

disconnect(MM) ->
    close_mm(MM).

close_mm(MM) ->
    unlink(MM),
    MM ! close,
    ok.

%%--------------------------------------------------------------------------
%% The middle-man (lib_chan_mm): socket <-> owner's mailbox.

mm_start(Owner, Host, Port) ->
    process_flag(trap_exit, true),
    case gen_tcp:connect(Host, Port, [binary, {active, true}, {packet, 4}], ?TIMEOUT) of
        {ok, Socket} ->
            Owner ! {self(), connected},
            mm_loop(Socket, Owner);
        {error, _} = Error ->
            Owner ! {self(), Error}
    end.

mm_loop(Socket, Owner) ->
    receive
        {tcp, Socket, Bin} ->
            Owner ! {chan, self(), binary_to_term(Bin)},
            mm_loop(Socket, Owner);
        {tcp_closed, Socket} ->
            Owner ! {chan_closed, self()};
        {tcp_error, Socket, _} ->
            gen_tcp:close(Socket),
            Owner ! {chan_closed, self()};
        {send, Term} ->
            ok = send_or_closed(gen_tcp:send(Socket, term_to_binary(Term))),
            mm_loop(Socket, Owner);
        close ->
            gen_tcp:close(Socket);
        {'EXIT', Owner, _} ->
            gen_tcp:close(Socket)
    end.

%% A send on a socket the peer already closed: the tcp_closed message follows.
send_or_closed(ok) -> ok;
send_or_closed({error, closed}) -> ok;
send_or_closed({error, Reason}) -> exit({send_failed, Reason}).

%%--------------------------------------------------------------------------
%% Command line entry for the interop tests. Arguments may be atoms (-s) or
%% strings (-run). The VM halts at the end, or after a 30 s watchdog, or
%% when stdin closes if LC_HALT_ON_STDIN_EOF=1 (the test runner died).

main(Args0) ->
    Args = [to_list(A) || A <- Args0],
    start_watchdogs(),
    Result = try run(Args) catch C:R:St -> {crashed, C, R, St} end,
    io:format("RESULT ~s~n", [hex(term_to_binary(Result))]),
    halt(0).

run(["session", Host, Port, Service, Password]) ->
    session(Host, list_to_integer(Port), list_to_atom(Service), Password);
run([Host, Port, Service, Password]) ->
    session(Host, list_to_integer(Port), list_to_atom(Service), Password);
run(["garbage", Host, Port]) ->
    garbage(Host, list_to_integer(Port));
run(Other) ->
    {badArgs, Other}.

%% The book's name-server session. Result:
%%   {ok, [{lookup, joe, R1}, {lookup, jim, R2}]}  or  {error, Reason}
session(Host, Port, Service, Password) ->
    case connect(Host, Port, Service, Password, []) of
        {ok, MM} ->
            ok = cast(MM, {store, joe, "writing a book"}),
            R1 = rpc(MM, {lookup, joe}),
            R2 = rpc(MM, {lookup, jim}),
            disconnect(MM),
            {ok, [{lookup, joe, R1}, {lookup, jim, R2}]};
        {error, Reason} ->
            {error, Reason}
    end.

%% Bad clients, all open at once. Prints "SENT" when every bad input is on
%% the wire, then waits (5 s from then, in all) for the server to close each
%% connection. Result: [{Name, LocalPort, Outcome}] where Outcome is
%% {closed, FramesReceived} or {open, FramesReceived} (still open at the
%% deadline; FramesReceived = what the server sent, decoded when possible).
%%   notEtf:    framed <<1,2,3>>, not External Term Format
%%   badTerm:   framed valid ETF that is not {startService, _, _}
%%   huge:      a frame header announcing 256 MiB, then nothing
%%   truncated: a frame header announcing 100 bytes, then 3 bytes
%%   silent:    connects and never sends anything
garbage(Host, Port) ->
    Opts = [binary, {active, true}, {packet, 0}],
    Conns = [begin
                 {ok, S} = gen_tcp:connect(Host, Port, Opts, ?TIMEOUT),
                 {ok, LocalPort} = inet:port(S),
                 {Name, Bytes, S, LocalPort}
             end
             || {Name, Bytes} <- [{notEtf, frame(<<1, 2, 3>>)},
                                  {badTerm, frame(term_to_binary({hello, "world"}))},
                                  {huge, <<16#10000000:32>>},
                                  {truncated, <<100:32, 1, 2, 3>>},
                                  {silent, <<>>}]],
    [ok = send_or_closed(gen_tcp:send(S, B)) || {_, B, S, _} <- Conns, B =/= <<>>],
    io:format("SENT~n"),
    Deadline = erlang:monotonic_time(millisecond) + ?TIMEOUT,
    Outcomes = [{Name, LocalPort, await_close(S, Deadline, <<>>)} || {Name, _, S, LocalPort} <- Conns],
    [gen_tcp:close(S) || {_, _, S, _} <- Conns],
    Outcomes.

frame(Bin) -> <<(byte_size(Bin)):32, Bin/binary>>.

await_close(S, Deadline, Acc) ->
    receive
        {tcp, S, Bin} -> await_close(S, Deadline, <<Acc/binary, Bin/binary>>);
        {tcp_closed, S} -> {closed, frames(Acc)};
        {tcp_error, S, Reason} -> {closed, [{tcp_error, Reason} | frames(Acc)]}
    after max(0, Deadline - erlang:monotonic_time(millisecond)) ->
        {open, frames(Acc)}
    end.

%% Whatever the server sent back, decoded frame by frame (binary if not ETF).
frames(<<Len:32, Payload:Len/binary, Rest/binary>>) ->
    T = try binary_to_term(Payload, [safe]) catch _:_ -> Payload end,
    [T | frames(Rest)];
frames(<<>>) -> [];
frames(Partial) -> [{partial, Partial}].

start_watchdogs() ->
    case os:getenv("LC_HALT_ON_STDIN_EOF") of
        "1" -> spawn(fun() -> wait_stdin_eof() end);
        _ -> ok
    end,
    spawn(fun() -> receive after 30000 -> io:format(standard_error, "lc_client: watchdog~n", []), halt(3) end end).

wait_stdin_eof() ->
    case io:get_line(standard_io, "") of
        eof -> halt(2);
        {error, _} -> halt(2);
        _ -> wait_stdin_eof()
    end.

to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(L) when is_list(L) -> L.

hex(Bin) -> [io_lib:format("~2.16.0b", [B]) || <<B>> <= Bin].

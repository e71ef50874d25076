%% lc_bench: the Erlang client VM of the bench. It drives the lib_chan wire
%% protocol (PROTOCOL-FACTS.md 1.1-1.3: {packet,4}, term_to_binary frames,
%% {startService, S, []}, {challenge, C} answered by lowercase hex
%% md5(C ++ Password), ack) straight on gen_tcp, the same way against any
%% server, ours or an Erlang lib_chan (test/interop/erl/lc_server.erl).
%%
%% One VM serves every measurement: commands come on stdin, one per line.
%%   rpc   Seq Host Port Service Password Conns Ms   sequential {lookup, joe} rpcs on Conns connections
%%   casts Seq Host Port Service Password Ms         batches of 1,000 casts + 1 rpc, one connection
%%   login Seq Host Port Service Password Par Ms     connect + login + close, Par loops
%% For each, the VM sets up (connections open, logged in), prints
%% "READY Seq", waits for a line "go", runs for Ms, and prints
%% "RESULT Seq Count Micros" (or "FAILED Seq Reason"). The bench reads the
%% server's CPU time between "go" and RESULT. Halts when stdin closes.
%%
%%   erl -noshell -pa DIR -run lc_bench main
-module(lc_bench).
-export([main/0, main/1]).

-define(OPTS, [binary, {packet, 4}, {active, false}, {nodelay, true}]).
-define(TIMEOUT, 10000).

main(_) -> main().
main() ->
    io:format("HELLO~n"),
    loop().

loop() ->
    case io:get_line(standard_io, "") of
        eof -> halt(0);
        {error, _} -> halt(0);
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                [] -> ok;
                [Cmd, Seq | Args] ->
                    try run(Cmd, Seq, Args) of
                        {Count, Micros} -> io:format("RESULT ~s ~w ~w~n", [Seq, Count, Micros])
                    catch C:R -> io:format("FAILED ~s ~0p~n", [Seq, {C, R}])
                    end;
                _ -> ok
            end,
            loop()
    end.

go(Seq) ->
    io:format("READY ~s~n", [Seq]),
    case io:get_line(standard_io, "") of
        "go" ++ _ -> ok;
        _ -> halt(0)
    end.

run("rpc", Seq, [Host, Port, Svc, Pw, Conns, Ms]) ->
    Socks = [login(Host, Port, Svc, Pw) || _ <- lists:seq(1, list_to_integer(Conns))],
    [1] = lists:usort([begin send(S, {store, joe, "writing a book"}), {ok, _} = call(S, {lookup, joe}), 1 end || S <- Socks]),
    go(Seq),
    T = timed(list_to_integer(Ms), [fun(Until) -> rpc_loop(S, Until, 0) end || S <- Socks]),
    [gen_tcp:close(S) || S <- Socks],
    T;
run("casts", Seq, [Host, Port, Svc, Pw, Ms]) ->
    S = login(Host, Port, Svc, Pw),
    {ok, _} = call(S, {lookup, joe}),
    go(Seq),
    T = timed(list_to_integer(Ms), [fun(Until) -> cast_loop(S, Until, 0) end]),
    gen_tcp:close(S),
    T;
run("login", Seq, [Host, Port, Svc, Pw, Par, Ms]) ->
    gen_tcp:close(login(Host, Port, Svc, Pw)),
    go(Seq),
    timed(list_to_integer(Ms), [fun(Until) -> login_loop(Host, Port, Svc, Pw, Until, 0) end || _ <- lists:seq(1, list_to_integer(Par))]).

%% Run each fun(Until) in its own process; -> {sum of counts, elapsed µs}.
timed(Ms, Funs) ->
    Self = self(),
    T0 = erlang:monotonic_time(microsecond),
    Until = T0 + Ms * 1000,
    Pids = [spawn_link(fun() -> Self ! {self(), F(Until)} end) || F <- Funs],
    Counts = [receive {P, N} -> N end || P <- Pids],
    {lists:sum(Counts), erlang:monotonic_time(microsecond) - T0}.

now_us() -> erlang:monotonic_time(microsecond).

rpc_loop(S, Until, N) ->
    case now_us() < Until of
        true -> {ok, _} = call(S, {lookup, joe}), rpc_loop(S, Until, N + 1);
        false -> N
    end.

cast_loop(S, Until, N) ->
    case now_us() < Until of
        true ->
            Store = term_to_binary({store, joe, "writing a book"}),
            [ok = gen_tcp:send(S, Store) || _ <- lists:seq(1, 1000)],
            {ok, _} = call(S, {lookup, joe}),
            cast_loop(S, Until, N + 1000);
        false -> N
    end.

login_loop(Host, Port, Svc, Pw, Until, N) ->
    case now_us() < Until of
        true ->
            S = login(Host, Port, Svc, Pw),
            ok = gen_tcp:close(S),
            login_loop(Host, Port, Svc, Pw, Until, N + 1);
        false -> N
    end.

login(Host, Port, Svc, Pw) ->
    {ok, S} = gen_tcp:connect(Host, list_to_integer(Port), ?OPTS, ?TIMEOUT),
    send(S, {startService, list_to_atom(Svc), []}),
    case recv(S) of
        ack -> S;
        {challenge, C} ->
            send(S, {response, response(C, Pw)}),
            ack = recv(S),
            S
    end.

send(S, T) -> ok = gen_tcp:send(S, term_to_binary(T)).
recv(S) ->
    {ok, B} = gen_tcp:recv(S, 0, ?TIMEOUT),
    binary_to_term(B).
call(S, T) -> send(S, T), recv(S).

response(C, Pw) ->
    lists:flatten([io_lib:format("~2.16.0b", [B]) || <<B>> <= erlang:md5(C ++ Pw)]).

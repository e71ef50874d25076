%% mod_name_server: the book's example service ("Programming Erlang",
%% socket_dist/mod_name_server.erl), started by lc_server as
%% apply(mod_name_server, start_me_up, [MM, ArgsC, ArgsS]).
%%   {store, K, V} (cast)  -> kvs:store(K, V), nothing is sent back
%%   {lookup, K}   (rpc)   -> MM ! {send, {ok, V} | undefined}
-module(mod_name_server).
-export([start_me_up/3]).

start_me_up(MM, _ArgsC, _ArgS) ->
    loop(MM).

loop(MM) ->
    receive
        {chan, MM, {store, K, V}} ->
            kvs:store(K, V),
            loop(MM);
        {chan, MM, {lookup, K}} ->
            MM ! {send, kvs:lookup(K)},
            loop(MM);
        {chan_closed, MM} ->
            %% The book returns true here (so the original logs a "server
            %% error" on every disconnect); a quiet end is exit(normal).
            exit(normal)
    end.

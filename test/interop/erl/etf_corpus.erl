%% The Erlang half of test/interop/etf-corpus.test.ts.
%%
%% Both sides build the SAME corpus independently: the hand-written edge cases
%% below are mirrored case by case in the TypeScript test (edgeCases()), and the
%% generated cases come from the same xorshift32 generator with the same seed
%% (generated/2 here, generated() there). Nothing is shared but the seed, so a
%% mistake in either encoder, decoder or corpus shows up as a mismatch.
%%
%% Run: erl -noshell -pa Dir -run etf_corpus main WorkDir Seed Count
%% Files in WorkDir hold records <<Len:32, Bytes:Len/binary>>.
%%   js1.bin   written by the test before the start: encodeTerm(case I) for every
%%             case, then one deliberately wrong record (the sentinel).
%%   -> "R1 I differs" / "R1 I badarg Reason" per mismatch (I is 1-based), then "R1DONE N".
%%   erl.bin   written here: term_to_binary(Case, Opts) for Opts in variants(),
%%             for every case and then every opaque case (pids, refs, ports, funs).
%%   -> "READY2 Records"; then one line on stdin means js2.bin is ready.
%%   js2.bin   encodeTerm(decodeTerm(R)) for each record R of erl.bin, then a sentinel.
%%   -> "R2 ..." per mismatch, then "R2DONE N", and halt.
-module(etf_corpus).
-export([main/1, edge_cases/0, generated/2, opaque_cases/0, variants/0]).

main([Dir, SeedS, CountS]) ->
    try run(Dir, list_to_integer(SeedS), list_to_integer(CountS)) of
        ok -> halt(0)
    catch
        C:E:St ->
            io:format("CRASH ~p~n", [{C, E, St}]),
            halt(2)
    end.

run(Dir, Seed, Count) ->
    Cases = edge_cases() ++ generated(Seed, Count),
    io:format("CASES ~b~n", [length(Cases)]),
    check("R1", read_records(filename:join(Dir, "js1.bin")), Cases ++ [sentinel()]),
    Opaque = opaque_cases(),
    All = Cases ++ Opaque,
    Bins = [term_to_binary(T, Opts) || T <- All, Opts <- variants()],
    Terms = [T || T <- All, _ <- variants()],
    ok = file:write_file(filename:join(Dir, "erl.bin"), [<<(byte_size(B)):32, B/binary>> || B <- Bins]),
    io:format("READY2 ~b ~b~n", [length(Bins), length(Opaque)]),
    _ = io:get_line(''),
    check("R2", read_records(filename:join(Dir, "js2.bin")), Terms ++ [sentinel()]),
    ok.

variants() -> [[], [compressed], [{minor_version, 2}]].

%% The test sends the wrong term for this one: the comparison must see it.
sentinel() -> {sentinel, 1}.

read_records(Path) ->
    {ok, Bin} = file:read_file(Path),
    split_records(Bin, []).

split_records(<<>>, Acc) -> lists:reverse(Acc);
split_records(<<Len:32, B:Len/binary, Rest/binary>>, Acc) -> split_records(Rest, [B | Acc]).

check(Tag, Bins, Expected) ->
    case length(Bins) =:= length(Expected) of
        true -> ok;
        false -> io:format("~s count ~b ~b~n", [Tag, length(Bins), length(Expected)])
    end,
    N = min(length(Bins), length(Expected)),
    Pairs = lists:zip3(lists:seq(1, N), lists:sublist(Bins, N), lists:sublist(Expected, N)),
    lists:foreach(
        fun({I, Bin, Exp}) ->
            try binary_to_term(Bin) of
                T ->
                    case same(T, Exp) of
                        true -> ok;
                        false -> io:format("~s ~b differs~n", [Tag, I])
                    end
            catch
                _:R -> io:format("~s ~b badarg ~0p~n", [Tag, I, R])
            end
        end,
        Pairs),
    io:format("~sDONE ~b~n", [Tag, N]).

%% =:= alone takes 0.0 and -0.0 as equal in OTP 25; the deterministic
%% encodings differ in the sign bit.
same(A, B) ->
    A =:= B andalso term_to_binary(A, [deterministic]) =:= term_to_binary(B, [deterministic]).

pow(_, 0) -> 1;
pow(B, N) -> B * pow(B, N - 1).

%% Mirrored one for one by edgeCases() in etf-corpus.test.ts: keep the order.
edge_cases() ->
    [
     %% integers at each encoding boundary
     0, 255, 256, -1,
     2147483647, 2147483648, -2147483648, -2147483649,
     (1 bsl 53) - 1, 1 bsl 53, (1 bsl 53) + 1,
     -((1 bsl 53) - 1), -(1 bsl 53), -((1 bsl 53) + 1),
     (1 bsl 64) - 1, 1 bsl 64, -(1 bsl 64),
     1 bsl 255, -(1 bsl 255),
     (1 bsl 2040) - 1, 1 bsl 2040,
     -pow(3, 5000),
     %% floats
     0.0, -0.0, 3.5, 1.0, 1.0e300, 5.0e-324, 9007199254740992.0,
     1.7976931348623157e308, -2.5, 0.1,
     %% atoms
     '', ok, 'sérvice', 'サービス',
     list_to_atom(lists:duplicate(255, 255)),
     list_to_atom(lists:duplicate(255, 12469)),
     list_to_atom([128512]),
     'with space', 'Quoted', true, false, undefined, null,
     %% strings and lists
     "", "abc", "writing a book", [233, 255],
     lists:duplicate(65535, $a), lists:duplicate(65536, $a),
     [12469, 12540, 12499, 12473], [128512, $a], [0, 1, 2],
     [], [[]], [1000, 2000],
     [I rem 1000 || I <- lists:seq(0, 69999)],
     [a, b, c],
     [1 | 2], [a, b | c], [1 | <<>>], [1 | #{}], [x | {y}],
     %% tuples
     {}, {a}, list_to_tuple(lists:seq(1, 255)), list_to_tuple(lists:seq(1, 256)),
     {{{{deep}}}},
     %% binaries and bitstrings
     <<>>, <<1, 2, 3>>, list_to_binary([(I * 7) rem 256 || I <- lists:seq(0, 69999)]),
     <<1:3>>, <<255, 7:3>>, <<1:1>>, <<0:7>>,
     %% maps
     #{}, #{a => 1}, #{"k" => [v]},
     #{1 => a, 2.0 => b, "x" => c, <<"y">> => d, {z} => e, [1, 2] => f, #{a => 1} => g},
     maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]),
     #{outer => #{inner => #{deep => [1, 2, 3]}}},
     #{"__proto__" => 1, '__proto__' => 2},
     #{-0.0 => neg},
     %% lib_chan messages
     {ok, "writing a book"}, {startService, nameServer, []}, {lookup, joe}
    ].

%% Terms only Erlang can make; the test checks that they survive decode + encode.
opaque_cases() ->
    Offset = 42,
    Port = case erlang:ports() of [P | _] -> P; [] -> undefined end,
    [self(), make_ref(), Port, fun lists:map/2, fun(X) -> X + Offset end,
     {self(), [make_ref()], #{f => fun erlang:abs/1}},
     list_to_pid("<0.9.0>")].

%% ---- the shared generator (mirrored by generated() in the test) ----

next(X0) ->
    X1 = X0 bxor ((X0 bsl 13) band 16#FFFFFFFF),
    X2 = X1 bxor (X1 bsr 17),
    X2 bxor ((X2 bsl 5) band 16#FFFFFFFF).

word(S0) -> S = next(S0), {S, S}.

pick(S0, N) -> {W, S} = word(S0), {W rem N, S}.

alphabet() -> [$a, $b, $z, $_, $@, $\s, $', $\\, 0, 10, 127, 233, 255, 256, 12469, 128512].

picks(S, 0, _) -> {[], S};
picks(S0, K, N) ->
    {V, S1} = pick(S0, N),
    {Vs, S2} = picks(S1, K - 1, N),
    {[V | Vs], S2}.

chars(S0, MaxLen) ->
    {L, S1} = pick(S0, MaxLen),
    {Is, S2} = picks(S1, L, length(alphabet())),
    {[lists:nth(I + 1, alphabet()) || I <- Is], S2}.

generated(Seed, Count) ->
    {Terms, _} = gen_n(Seed, Count, 0),
    Terms.

gen_n(S, 0, _) -> {[], S};
gen_n(S0, K, Depth) ->
    {T, S1} = gen(S0, Depth),
    {Ts, S2} = gen_n(S1, K - 1, Depth),
    {[T | Ts], S2}.

gen(S0, Depth) ->
    {Kind, S1} = pick(S0, case Depth >= 3 of true -> 8; false -> 13 end),
    gen_kind(Kind, S1, Depth).

gen_kind(0, S0, _) -> pick(S0, 256);
gen_kind(1, S0, _) -> {W, S} = word(S0), {W - 2147483648, S};
gen_kind(2, S0, _) ->
    {Sign, S1} = pick(S0, 2),
    {N, S2} = pick(S1, 30),
    {Bytes, S3} = picks(S2, N + 5, 256),
    V = binary:decode_unsigned(list_to_binary(Bytes), little),
    {case Sign of 1 -> -V; 0 -> V end, S3};
gen_kind(3, S0, _) ->
    {Hi, S1} = word(S0),
    {Lo, S2} = word(S1),
    <<F:64/float>> = <<(Hi band 16#FFEFFFFF):32, Lo:32>>,
    {F, S2};
gen_kind(4, S0, _) ->
    {Cs, S} = chars(S0, 9),
    {list_to_atom(Cs), S};
gen_kind(5, S0, _) -> chars(S0, 12);
gen_kind(6, S0, _) ->
    {L, S1} = pick(S0, 16),
    {Bytes, S2} = picks(S1, L, 256),
    {list_to_binary(Bytes), S2};
gen_kind(7, S0, _) ->
    {N, S1} = pick(S0, 4),
    {Bits, S2} = pick(S1, 7),
    {Bytes, S3} = picks(S2, N, 256),
    {Last, S4} = pick(S3, 1 bsl (Bits + 1)),
    {<<(list_to_binary(Bytes))/binary, Last:(Bits + 1)>>, S4};
gen_kind(8, S0, D) ->
    {N, S1} = pick(S0, 5),
    {Ts, S2} = gen_n(S1, N, D + 1),
    {list_to_tuple(Ts), S2};
gen_kind(9, S0, D) ->
    {N, S1} = pick(S0, 5),
    gen_n(S1, N, D + 1);
gen_kind(10, S0, D) ->
    {N, S1} = pick(S0, 3),
    {Ts, S2} = gen_n(S1, N + 1, D + 1),
    {K, S3} = pick(S2, 5),
    {Tail, S4} = gen_kind(lists:nth(K + 1, [0, 1, 3, 4, 6]), S3, D + 1),
    {lists:foldr(fun(E, Acc) -> [E | Acc] end, Tail, Ts), S4};
gen_kind(11, S0, D) ->
    {N, S1} = pick(S0, 4),
    {Kvs, S2} = gen_n(S1, 2 * N, D + 1),
    {maps:from_list(pairs(Kvs)), S2};
gen_kind(12, S0, _) ->
    {K, S} = pick(S0, 4),
    {lists:nth(K + 1, [true, false, undefined, null]), S}.

pairs([]) -> [];
pairs([K, V | Rest]) -> [{K, V} | pairs(Rest)].

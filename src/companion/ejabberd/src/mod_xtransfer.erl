%%%----------------------------------------------------------------------
%%% mod_xtransfer: the server side of xtransfer for ejabberd 23.01.
%%%
%%% It does only what the server alone can do and answers facts; every
%%% decision (who moves, which method, when) stays in xtransfer:
%%%   - list the sessions of one node, locate the sessions of a batch of users;
%%%   - hand a session over (close its socket without a stream error, so that
%%%     mod_stream_mgmt keeps it resumable), redirect it (<see-other-host>),
%%%     close it with a chosen RFC 6120 stream condition;
%%%   - cordon / uncordon a node (no new client connections, or new streams
%%%     answered with <see-other-host>);
%%%   - keep a moved session's old process forwarding, for a few seconds, the
%%%     stanzas that other nodes still route to it (see "Late stanzas" below).
%%% Everything is an ejabberd command (tag xtransfer, policy admin), so
%%% mod_http_api and ejabberdctl expose it. The JSON of each command is
%%% documented in docs/servers.md of the xtransfer repository.
%%%----------------------------------------------------------------------
-module(mod_xtransfer).
-author('xtransfer').

-behaviour(gen_mod).

%% gen_mod
-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1, mod_options/1,
         mod_doc/0]).
%% commands
-export([version/0, node_sessions/1, locate/1, handover/1, redirect/2,
         close/3, cordon/2, uncordon/1, cordons/0, session_counts/0]).
%% called on the node that owns the sessions / listeners (erpc)
-export([local_sessions/0, local_cordon/1, local_uncordon/0,
         local_cordon_state/0, local_session_count/0]).
%% hooks
-export([c2s_handle_call/3, c2s_stream_started/2, config_reloaded/0,
         c2s_handle_send/3, c2s_terminated_resumed/2,
         c2s_terminated_replaced/2, c2s_terminated_forward/2]).

-include("logger.hrl").
-include("translate.hrl").
-include("ejabberd_commands.hrl").
-include("ejabberd_sm.hrl").
-include("xmpp.hrl").

%% What xtransfer checks with xtransfer_version: bump it when a command's
%% arguments or result change incompatibly, or a command is added that
%% xtransfer relies on (2: xtransfer_session_counts).
-define(PROTOCOL_VERSION, 2).
-define(CORDON_KEY, {?MODULE, cordon}).
%% One session process answers our call in well under a millisecond; 5 s is
%% for a process stuck behind a long queue (a slow client's output), after
%% which its state is reported as unknown rather than holding up the list.
-define(CALL_TIMEOUT, 5000).
%% Bound on a call to another node: a listing waits for its sessions' answers
%% (at most CALL_TIMEOUT, in parallel), a cordon for its listeners.
-define(RPC_TIMEOUT, 15000).
%% Before mod_stream_mgmt (50) on c2s_stream_started, before ejabberd_c2s's
%% catch-all (100) on c2s_handle_call; after ejabberd_listener (50) on
%% config_reloaded, so that a re-cordon sees the listeners it restarted.
-define(HOOK_SEQ, 10).
-define(RELOAD_SEQ, 60).
%% c2s_terminated: a resumed session's old process before mod_stream_mgmt (50),
%% which ends the hook chain for it; a replaced one's before mod_stream_mgmt
%% too (to wait until this node's table knows the new session, and hand it
%% what never reached the client) and again after ejabberd_c2s (100), which
%% closes the session and re-routes its mailbox, to forward what comes later.
%% c2s_handle_send: before mod_stream_mgmt (50), which would queue (and later
%% bounce) a stanza that a replaced session could not send.
-define(RESUMED_SEQ, 45).
-define(REPLACED_SEQ, 40).
-define(FORWARD_SEQ, 110).
-define(SEND_SEQ, 40).
%% What a replaced session's process could not send, oldest last.
-define(UNSENT_KEY, xtransfer_unsent).
%% How long a replaced session's process waits for this node's table to name
%% its successor (at most forward_late), polling every SUCCESSOR_POLL ms.
-define(SUCCESSOR_WAIT, 2000).
-define(SUCCESSOR_POLL, 5).
%% The session that resumed this one (its process asked for our state).
-define(SUCCESSOR_KEY, xtransfer_successor).

%% RFC 6120 4.9.3: the defined stream error conditions.
-define(CONDITIONS,
        [<<"bad-format">>, <<"bad-namespace-prefix">>, <<"conflict">>,
         <<"connection-timeout">>, <<"host-gone">>, <<"host-unknown">>,
         <<"improper-addressing">>, <<"internal-server-error">>,
         <<"invalid-from">>, <<"invalid-namespace">>, <<"invalid-xml">>,
         <<"not-authorized">>, <<"not-well-formed">>, <<"policy-violation">>,
         <<"remote-connection-failed">>, <<"reset">>, <<"resource-constraint">>,
         <<"restricted-xml">>, <<"see-other-host">>, <<"system-shutdown">>,
         <<"undefined-condition">>, <<"unsupported-encoding">>,
         <<"unsupported-feature">>, <<"unsupported-stanza-type">>,
         <<"unsupported-version">>]).

%%%===================================================================
%%% gen_mod
%%%===================================================================
start(Host, _Opts) ->
    ejabberd_hooks:add(c2s_handle_call, Host, ?MODULE, c2s_handle_call, ?HOOK_SEQ),
    ejabberd_hooks:add(c2s_stream_started, Host, ?MODULE, c2s_stream_started, ?HOOK_SEQ),
    ejabberd_hooks:add(c2s_handle_send, Host, ?MODULE, c2s_handle_send, ?SEND_SEQ),
    ejabberd_hooks:add(c2s_terminated, Host, ?MODULE, c2s_terminated_resumed, ?RESUMED_SEQ),
    ejabberd_hooks:add(c2s_terminated, Host, ?MODULE, c2s_terminated_replaced, ?REPLACED_SEQ),
    ejabberd_hooks:add(c2s_terminated, Host, ?MODULE, c2s_terminated_forward, ?FORWARD_SEQ),
    case gen_mod:is_loaded_elsewhere(Host, ?MODULE) of
        false ->
            ejabberd_hooks:add(config_reloaded, ?MODULE, config_reloaded, ?RELOAD_SEQ),
            ejabberd_commands:register_commands(get_commands_spec());
        true ->
            ok
    end.

stop(Host) ->
    ejabberd_hooks:delete(c2s_handle_call, Host, ?MODULE, c2s_handle_call, ?HOOK_SEQ),
    ejabberd_hooks:delete(c2s_stream_started, Host, ?MODULE, c2s_stream_started, ?HOOK_SEQ),
    ejabberd_hooks:delete(c2s_handle_send, Host, ?MODULE, c2s_handle_send, ?SEND_SEQ),
    ejabberd_hooks:delete(c2s_terminated, Host, ?MODULE, c2s_terminated_resumed, ?RESUMED_SEQ),
    ejabberd_hooks:delete(c2s_terminated, Host, ?MODULE, c2s_terminated_replaced, ?REPLACED_SEQ),
    ejabberd_hooks:delete(c2s_terminated, Host, ?MODULE, c2s_terminated_forward, ?FORWARD_SEQ),
    case gen_mod:is_loaded_elsewhere(Host, ?MODULE) of
        false ->
            ejabberd_commands:unregister_commands(get_commands_spec()),
            ejabberd_hooks:delete(config_reloaded, ?MODULE, config_reloaded, ?RELOAD_SEQ),
            end_cordon_on_stop();
        true ->
            ok
    end.

reload(_Host, _NewOpts, _OldOpts) ->
    ok.

%% mod_stream_mgmt and mod_caps are read when present (their state lives in
%% the session process); without them sessions are listed with sm 'none'.
depends(_Host, _Opts) ->
    [].

mod_opt_type(forward_late) ->
    econf:non_neg_int().

%% forward_late (ms): how long a moved session's old process keeps forwarding
%% the stanzas that still reach it; 0 turns it off (ejabberd's own 100 ms).
mod_options(_Host) ->
    [{forward_late, 5000}].

mod_doc() ->
    #{desc =>
          [?T("Server side of xtransfer: ejabberd commands (tag 'xtransfer') "
              "that list one node's sessions, locate users' sessions, hand a "
              "session over for stream resumption, redirect it with "
              "<see-other-host/>, close it with a chosen stream condition, and "
              "cordon or uncordon a node."),
           ?T("A cordon is runtime state: restarting the node brings its "
              "listeners back from its configuration.")],
      opts =>
          [{forward_late,
            #{value => "non_neg_integer()",
              desc =>
                  ?T("Milliseconds during which the old process of a session "
                     "that was replaced or resumed elsewhere keeps forwarding "
                     "the stanzas that other nodes still route to it (their "
                     "copy of the session table lags behind) to the new "
                     "session, instead of exiting after ejabberd's 100 ms and "
                     "letting them be dropped. A replaced session's process "
                     "first waits (at most 2 s) until its node's session "
                     "table knows the new session, so that what it re-routes "
                     "does not go to offline storage or back to its sender. "
                     "0 turns it off. The default value is 5000.")}}],
      example => ["modules:", "  mod_xtransfer: {}"]}.

%%%===================================================================
%%% Command definitions
%%%===================================================================
-define(ACTION_RESULT,
        {tuple, [{result, string}, {reason, string}, {jid, string},
                 {node, string}, {sm, string}, {text, string}]}).
-define(CORDON_RESULT,
        {tuple, [{result, string}, {reason, string}, {node, string},
                 {mode, string}, {redirect, string}, {text, string}]}).

get_commands_spec() ->
    [#ejabberd_commands{
        name = xtransfer_version, tags = [xtransfer], policy = admin,
        desc = "mod_xtransfer's protocol version and the node that answers",
        module = ?MODULE, function = version, args = [],
        result = {version, {tuple, [{version, integer}, {node, string}]}},
        result_example = {?PROTOCOL_VERSION, <<"ejabberd@host1">>}},
     #ejabberd_commands{
        name = xtransfer_node_sessions, tags = [xtransfer], policy = admin,
        desc = "Every client session whose process runs on one node",
        longdesc = "sm is none, active or pending (socket gone, waiting for "
                   "a resumption), or unknown when the session did not answer "
                   "in 5 s; resumable is true when a handover now would leave "
                   "the session resumable. caps_node/caps_ver come from the "
                   "client's last presence (XEP-0115), else empty.",
        module = ?MODULE, function = node_sessions,
        args = [{node, binary}],
        args_desc = ["Erlang node name"],
        args_example = [<<"ejabberd@host1">>],
        result = {sessions,
                  {tuple, [{result, string}, {reason, string}, {node, string},
                           {text, string},
                           {sessions,
                            {list, {session,
                                    {tuple, [{jid, string}, {ip, string},
                                             {port, integer}, {uptime, integer},
                                             {sm, string}, {resumable, atom},
                                             {caps_node, string},
                                             {caps_ver, string}]}}}}]}}},
     #ejabberd_commands{
        name = xtransfer_locate, tags = [xtransfer], policy = admin,
        desc = "Every session of a batch of users, anywhere in the cluster",
        longdesc = "A user with no session is absent from the answer. sm as "
                   "in xtransfer_node_sessions.",
        module = ?MODULE, function = locate,
        args = [{users, {list, {user, binary}}}],
        args_desc = ["Bare JIDs"],
        args_example = [[<<"user1@example.com">>, <<"user2@example.com">>]],
        result = {located,
                  {tuple, [{result, string}, {reason, string}, {text, string},
                           {sessions,
                            {list, {session,
                                    {tuple, [{bare, string}, {jid, string},
                                             {node, string}, {uptime, integer},
                                             {sm, string}, {ip, string},
                                             {port, integer}]}}}}]}}},
     #ejabberd_commands{
        name = xtransfer_handover, tags = [xtransfer], policy = admin,
        desc = "Close a session's socket without a stream error, so that the "
               "client can resume it (XEP-0198) on another node",
        longdesc = "Refused (reason not-resumable) when the session has no "
                   "stream management with resumption.",
        module = ?MODULE, function = handover,
        args = [{jid, binary}], args_desc = ["Full JID"],
        args_example = [<<"user1@example.com/phone">>],
        result = {handover, ?ACTION_RESULT}},
     #ejabberd_commands{
        name = xtransfer_redirect, tags = [xtransfer], policy = admin,
        desc = "End a session with a <see-other-host/> stream error",
        longdesc = "host is host, host:port, IPv4[:port] or [IPv6][:port] "
                   "(RFC 6120 4.9.3.19).",
        module = ?MODULE, function = redirect,
        args = [{jid, binary}, {host, binary}],
        args_desc = ["Full JID", "host[:port]"],
        args_example = [<<"user1@example.com/phone">>, <<"xmpp2.example.com:5222">>],
        result = {redirect, ?ACTION_RESULT}},
     #ejabberd_commands{
        name = xtransfer_close, tags = [xtransfer], policy = admin,
        desc = "End a session with an RFC 6120 stream error condition",
        longdesc = "text may be empty. A session pending resumption has no "
                   "connection to send the error on: it is ended silently.",
        module = ?MODULE, function = close,
        args = [{jid, binary}, {condition, binary}, {text, binary}],
        args_desc = ["Full JID", "RFC 6120 stream error condition", "Text, or empty"],
        args_example = [<<"user1@example.com/phone">>, <<"system-shutdown">>, <<"">>],
        result = {close, ?ACTION_RESULT}},
     #ejabberd_commands{
        name = xtransfer_cordon, tags = [xtransfer], policy = admin,
        desc = "Stop a node accepting new client connections; existing "
               "sessions stay",
        longdesc = "With an empty redirect the node's c2s listeners are "
                   "removed (connections refused). With redirect host:port "
                   "the listeners stay and every new stream is answered with "
                   "<see-other-host/> naming it. Runtime state: a restart of "
                   "the node brings its listeners back.",
        module = ?MODULE, function = cordon,
        args = [{node, binary}, {redirect, binary}],
        args_desc = ["Erlang node name", "host[:port] to redirect new streams to, or empty"],
        args_example = [<<"ejabberd@host1">>, <<"">>],
        result = {cordon, ?CORDON_RESULT}},
     #ejabberd_commands{
        name = xtransfer_uncordon, tags = [xtransfer], policy = admin,
        desc = "Put a cordoned node's c2s listeners back, or end its redirect",
        module = ?MODULE, function = uncordon,
        args = [{node, binary}], args_desc = ["Erlang node name"],
        args_example = [<<"ejabberd@host1">>],
        result = {uncordon, ?CORDON_RESULT}},
     #ejabberd_commands{
        name = xtransfer_cordons, tags = [xtransfer], policy = admin,
        desc = "Every cluster node: cordoned or not, the mode and the redirect",
        longdesc = "cordoned is true, false or unknown (the node did not "
                   "answer: reason node-down or no-companion).",
        module = ?MODULE, function = cordons, args = [],
        result = {nodes,
                  {list, {node,
                          {tuple, [{node, string}, {cordoned, atom},
                                   {mode, string}, {redirect, string},
                                   {reason, string}]}}}}},
     #ejabberd_commands{
        name = xtransfer_session_counts, tags = [xtransfer], policy = admin,
        desc = "Every cluster node: how many client sessions run there",
        longdesc = "Each node counts its own session table (no session is "
                   "asked anything): what a drain's plan needs of the nodes "
                   "it does not drain. sessions is -1 when the node did not "
                   "answer (reason node-down, no-companion or timeout).",
        module = ?MODULE, function = session_counts, args = [],
        result = {nodes,
                  {list, {node,
                          {tuple, [{node, string}, {sessions, integer},
                                   {reason, string}]}}}}}].

%%%===================================================================
%%% Commands
%%%===================================================================
version() ->
    {?PROTOCOL_VERSION, atom_to_binary(node(), utf8)}.

node_sessions(NodeBin) ->
    case find_node(NodeBin) of
        {ok, Node} ->
            case on_node(Node, local_sessions, []) of
                {ok, Sessions} ->
                    {<<"ok">>, <<>>, node_name(Node),
                     fmt("~B session(s)", [length(Sessions)]), Sessions};
                {error, Reason, Text} ->
                    {<<"error">>, Reason, node_name(Node), Text, []}
            end;
        {error, Text} ->
            {<<"invalid">>, <<"unknown-node">>, NodeBin, Text, []}
    end.

locate(Users) ->
    case parse_bare_jids(Users, []) of
        {ok, USs} ->
            Found = [{U, S, R, Info} || {U, S} <- USs,
                                        {R, Info} <- ejabberd_sm:get_user_info(U, S)],
            Facts = facts_of([proplists:get_value(pid, Info) || {_, _, _, Info} <- Found]),
            Now = erlang:system_time(second),
            Sessions =
                lists:filtermap(
                  fun({U, S, R, Info}) ->
                          Pid = proplists:get_value(pid, Info),
                          case sm_of(maps:get(Pid, Facts)) of
                              gone -> false;
                              Sm ->
                                  {IP, Port} = case proplists:get_value(ip, Info) of
                                                   {A, P} -> {misc:ip_to_list(A), P};
                                                   _ -> {<<>>, 0}
                                               end,
                                  {true, {jid:encode({U, S, <<>>}),
                                          jid:encode({U, S, R}),
                                          node_name(node(Pid)),
                                          uptime(proplists:get_value(ts, Info), Now),
                                          atom_to_binary(Sm, utf8), IP, Port}}
                          end
                  end, Found),
            {<<"ok">>, <<>>, fmt("~B user(s), ~B session(s)", [length(USs), length(Sessions)]),
             lists:sort(Sessions)};
        {error, Text} ->
            {<<"invalid">>, <<"bad-jid">>, Text, []}
    end.

handover(JidBin) ->
    session_action(JidBin, handover).

redirect(JidBin, HostBin) ->
    case parse_host(HostBin) of
        {ok, Host} ->
            session_action(JidBin, {redirect, xmpp:serr_see_other_host(Host)});
        {error, Text} ->
            {<<"invalid">>, <<"bad-host">>, JidBin, <<>>, <<>>, Text}
    end.

close(JidBin, ConditionBin, Text) ->
    case parse_condition(ConditionBin) of
        {ok, Condition} ->
            Err = #stream_error{reason = Condition, text = xmpp:mk_text(Text, <<"en">>)},
            session_action(JidBin, {close, Err});
        {error, Why} ->
            {<<"invalid">>, <<"bad-condition">>, JidBin, <<>>, <<>>, Why}
    end.

cordon(NodeBin, RedirectBin) ->
    Wanted = case RedirectBin of
                 <<>> -> {ok, refuse};
                 _ -> case parse_host(RedirectBin) of
                          {ok, Host} -> {ok, {redirect, Host}};
                          {error, _} = Err -> Err
                      end
             end,
    case Wanted of
        {ok, Mode} -> cordon_call(NodeBin, local_cordon, [Mode]);
        {error, Text} ->
            {<<"invalid">>, <<"bad-host">>, NodeBin, <<>>, RedirectBin, Text}
    end.

uncordon(NodeBin) ->
    cordon_call(NodeBin, local_uncordon, []).

cordons() ->
    Nodes = known_nodes(),
    Answers = erpc:multicall(Nodes, ?MODULE, local_cordon_state, [], ?RPC_TIMEOUT),
    lists:zipwith(
      fun(Node, {ok, {Mode, Redirect}}) ->
              {node_name(Node), Mode /= none, atom_to_binary(Mode, utf8), Redirect, <<>>};
         (Node, Failure) ->
              {Reason, _} = rpc_failure(Node, Failure),
              {node_name(Node), unknown, <<"unknown">>, <<>>, Reason}
      end, Nodes, Answers).

session_counts() ->
    Nodes = known_nodes(),
    Answers = erpc:multicall(Nodes, ?MODULE, local_session_count, [], ?RPC_TIMEOUT),
    lists:zipwith(
      fun(Node, {ok, Count}) ->
              {node_name(Node), Count, <<>>};
         (Node, Failure) ->
              {Reason, _} = rpc_failure(Node, Failure),
              {node_name(Node), -1, Reason}
      end, Nodes, Answers).

%%%===================================================================
%%% One node's sessions (runs on that node)
%%%===================================================================
local_session_count() ->
    ensure_enabled(),
    length(my_sessions()).

local_sessions() ->
    ensure_enabled(),
    Sessions = my_sessions(),
    Facts = facts_of([Pid || #session{sid = {_, Pid}} <- Sessions]),
    Now = erlang:system_time(second),
    lists:sort(
      lists:filtermap(
        fun(#session{sid = {Ts, Pid}, usr = USR, info = Info}) ->
                Fact = maps:get(Pid, Facts),
                case sm_of(Fact) of
                    gone -> false;
                    Sm ->
                        {IP, Port} = case proplists:get_value(ip, Info) of
                                         {A, P} -> {misc:ip_to_list(A), P};
                                         _ -> {<<>>, 0}
                                     end,
                        {CapsNode, CapsVer} = case Fact of
                                                  {ok, #{caps := C}} -> C;
                                                  _ -> {<<>>, <<>>}
                                              end,
                        {true, {jid:encode(USR), IP, Port, uptime(Ts, Now),
                                atom_to_binary(Sm, utf8),
                                Sm == active andalso resumable(Fact),
                                CapsNode, CapsVer}}
                end
        end, Sessions)).

%% With the default Mnesia backend every node holds the whole session table:
%% select this node's rows in ETS (no copy of the others'), so the work that
%% follows (one call per session) is this node's sessions only.
my_sessions() ->
    Hosts = ejabberd_option:hosts(),
    case lists:usort([ejabberd_option:sm_db_type(H) || H <- Hosts]) of
        [mnesia] ->
            ets:select(session,
                       [{#session{sid = {'_', '$1'}, _ = '_'},
                         [{'==', {node, '$1'}, {const, node()}}],
                         ['$_']}]);
        _ ->
            ejabberd_sm:dirty_get_my_sessions_list()
    end.

%% Asks every session process for its facts at once (one short-lived process
%% per call, so one slow session costs CALL_TIMEOUT once, not per session).
%% Pid => {ok, Facts} | gone | unknown.
facts_of(Pids) ->
    Tag = make_ref(),
    Waiting = maps:from_list(
                [{element(2, spawn_monitor(
                               fun() -> exit({Tag, call_session(Pid, info)}) end)), Pid}
                 || Pid <- lists:usort(Pids)]),
    collect_facts(Tag, Waiting, #{}).

collect_facts(_Tag, Waiting, Acc) when map_size(Waiting) == 0 ->
    Acc;
collect_facts(Tag, Waiting, Acc) ->
    receive
        {'DOWN', Ref, process, _, Exit} when is_map_key(Ref, Waiting) ->
            Fact = case Exit of
                       {Tag, {ok, Facts}} -> {ok, Facts};
                       {Tag, {error, no_session}} -> gone;
                       _ -> unknown
                   end,
            collect_facts(Tag, maps:remove(Ref, Waiting),
                          Acc#{maps:get(Ref, Waiting) => Fact})
    after ?CALL_TIMEOUT + 2000 ->
            maps:fold(fun(Ref, Pid, A) ->
                              erlang:demonitor(Ref, [flush]),
                              A#{Pid => unknown}
                      end, Acc, Waiting)
    end.

sm_of({ok, #{sm := gone}}) -> gone;
sm_of({ok, #{sm := Sm}}) -> Sm;
sm_of(gone) -> gone;
sm_of(unknown) -> unknown.

resumable({ok, #{resumable := R}}) -> R;
resumable(_) -> false.

uptime({MegaSecs, Secs, _}, Now) -> max(0, Now - (MegaSecs * 1000000 + Secs));
uptime(_, _) -> 0.

%%%===================================================================
%%% Acting on one session (from any node)
%%%===================================================================
session_action(JidBin, Action) ->
    case session_pid(JidBin) of
        {ok, Pid} ->
            Node = node_name(node(Pid)),
            case call_session(Pid, Action) of
                {ok, Sm} ->
                    ?INFO_MSG("xtransfer: ~ts of ~ts (sm ~ts) on ~ts",
                              [action_name(Action), JidBin, Sm, Node]),
                    {<<"ok">>, <<>>, JidBin, Node, atom_to_binary(Sm, utf8),
                     action_text(Action, Sm)};
                {refused, Reason, Sm, Text} ->
                    {<<"refused">>, Reason, JidBin, Node, atom_to_binary(Sm, utf8), Text};
                {error, no_session} ->
                    {<<"refused">>, <<"no-session">>, JidBin, Node, <<>>,
                     <<"the session ended before it could be acted on">>};
                {error, timeout} ->
                    {<<"error">>, <<"timeout">>, JidBin, Node, <<>>,
                     fmt("the session's process on ~ts did not answer in ~B ms "
                         "(is mod_xtransfer loaded there?)", [Node, ?CALL_TIMEOUT])};
                {error, nodedown} ->
                    {<<"error">>, <<"node-down">>, JidBin, Node, <<>>,
                     fmt("node ~ts cannot be reached", [Node])}
            end;
        {error, Reason, Text} ->
            Result = case Reason of
                         <<"no-session">> -> <<"refused">>;
                         _ -> <<"invalid">>
                     end,
            {Result, Reason, JidBin, <<>>, <<>>, Text}
    end.

session_pid(JidBin) ->
    try jid:decode(JidBin) of
        #jid{luser = <<>>} ->
            {error, <<"bad-jid">>, <<"a full JID (user@domain/resource) is needed">>};
        #jid{lresource = <<>>} ->
            {error, <<"bad-jid">>, <<"a full JID (user@domain/resource) is needed">>};
        #jid{luser = U, lserver = S, lresource = R} ->
            case ejabberd_router:is_my_host(S) of
                false ->
                    {error, <<"bad-jid">>, fmt("~ts is not a domain of this cluster", [S])};
                true ->
                    case ejabberd_sm:get_session_pid(U, S, R) of
                        none -> {error, <<"no-session">>, <<"no such session in the cluster">>};
                        Pid -> {ok, Pid}
                    end
            end
    catch _:{bad_jid, _} ->
            {error, <<"bad-jid">>, fmt("not a JID: ~ts", [JidBin])}
    end.

%% One synchronous call into the session's own process (any node): the checks
%% and the act happen there, so nothing changes between them.
call_session(Pid, Action) ->
    try ejabberd_c2s:call(Pid, {?MODULE, Action}, ?CALL_TIMEOUT)
    catch exit:{timeout, _} -> {error, timeout};
          exit:{{nodedown, _}, _} -> {error, nodedown};
          exit:_ -> {error, no_session}
    end.

action_name(handover) -> <<"handover">>;
action_name({redirect, _}) -> <<"redirect">>;
action_name({close, _}) -> <<"close">>.

action_text(handover, _) ->
    <<"socket closed without a stream error; the session waits for a resumption">>;
action_text({redirect, #stream_error{reason = #'see-other-host'{host = H}}}, _) ->
    fmt("sent <see-other-host>~ts</see-other-host>", [H]);
action_text({close, _}, pending) ->
    <<"the session was pending resumption (no connection): ended without a stream error">>;
action_text({close, #stream_error{reason = C}}, _) ->
    fmt("sent <~ts/>", [C]).

%%%===================================================================
%%% Inside the session process (c2s_handle_call hook)
%%%===================================================================
c2s_handle_call(State, {?MODULE, Action}, From) ->
    {stop, in_session(Action, State, From)};
c2s_handle_call(State, {resume_session, _MgmtID}, {Pid, _Tag}) when is_pid(Pid) ->
    %% A new stream resumes this session (mod_stream_mgmt answers after us):
    %% its process is where late stanzas go once this one ends.
    State#{?SUCCESSOR_KEY => Pid};
c2s_handle_call(State, _Request, _From) ->
    State.

in_session(Action, State, From) ->
    Sm = session_sm(State),
    case {Action, Sm} of
        {_, gone} ->
            ejabberd_c2s:reply(From, {error, no_session}),
            State;
        {info, _} ->
            ejabberd_c2s:reply(From, {ok, #{sm => Sm,
                                            resumable => is_resumable(State),
                                            caps => client_caps(State)}}),
            State;
        {handover, active} ->
            case is_resumable(State) of
                true ->
                    ejabberd_c2s:reply(From, {ok, Sm}),
                    %% The same path as a socket that drops: close_socket, then
                    %% c2s_closed, where mod_stream_mgmt turns the session pending.
                    xmpp_stream_in:close(self()),
                    State;
                false ->
                    refuse(From, <<"not-resumable">>, Sm,
                           <<"stream management is on but the client did not ask for resumption">>, State)
            end;
        {handover, none} ->
            refuse(From, <<"not-resumable">>, Sm,
                   <<"the session has no stream management (XEP-0198)">>, State);
        {handover, pending} ->
            refuse(From, <<"pending">>, Sm,
                   <<"the socket is already gone; the session waits for a resumption">>, State);
        {{redirect, _}, pending} ->
            refuse(From, <<"pending">>, Sm,
                   <<"the session has no connection to send <see-other-host/> on (pending resumption)">>, State);
        {{close, _}, pending} ->
            ejabberd_c2s:reply(From, {ok, Sm}),
            ejabberd_c2s:stop_async(self()),
            State;
        {{Kind, Err}, _} when Kind == redirect; Kind == close ->
            case maps:get(stream_state, State, disconnected) of
                disconnected ->
                    ejabberd_c2s:reply(From, {error, no_session}),
                    State;
                _ ->
                    ejabberd_c2s:reply(From, {ok, Sm}),
                    end_stream(ejabberd_c2s:send(State, Err))
            end
    end.

%% After a stream error ejabberd closes the socket only at the end of the
%% session's termination (100-160 ms of hooks on the lab), and without reading
%% what the client sent meanwhile: its </stream:stream> (and an XEP-0198 <a/>)
%% meet a closed socket and the client gets a TCP reset, or a write of its own
%% (an <r/> timer) fails on its half-closed socket. Either error makes
%% @xmpp/client 0.14 drop the <see-other-host/> it was about to follow (on the
%% lab 8 of 30 redirected clients stayed away). So the stream is ended here, as
%% RFC 6120 4.4 describes: our closing tag at once, then the client's last bytes
%% are read (until its closing tag or its close, LINGER ms at most), then the
%% socket is closed with nothing unread.
-define(LINGER, 1000).
end_stream(#{socket := Socket} = State) ->
    case catch xmpp_stream_in:get_transport(State) of
        T when T == tcp; T == tls; T == tcp_zlib; T == tls_zlib ->
            _ = xmpp_socket:send_trailer(Socket),
            linger(T == tcp, erlang:monotonic_time(millisecond) + ?LINGER),
            xmpp_stream_in:close(State);
        _ ->
            State   % BOSH / WebSocket: ejabberd's HTTP side ends them
    end;
end_stream(State) ->
    State.

linger(Plain, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {tcp, Port, Data} ->
            case Plain andalso binary:match(Data, <<"</stream:stream>">>) /= nomatch of
                true ->
                    ok;
                false ->
                    _ = inet:setopts(Port, [{active, once}]),
                    linger(Plain, Deadline)
            end;
        {tcp_closed, _} = Closed ->
            self() ! Closed;
        {tcp_error, _, _} = Error ->
            self() ! Error
    after Left ->
            ok
    end.

refuse(From, Reason, Sm, Text, State) ->
    ejabberd_c2s:reply(From, {refused, Reason, Sm, Text}),
    State.

%% mod_stream_mgmt's own states: inactive (not enabled), active, pending
%% (socket gone), resumed / timeout (this process is ending).
session_sm(#{mgmt_state := active}) -> active;
session_sm(#{mgmt_state := pending}) -> pending;
session_sm(#{mgmt_state := resumed}) -> gone;
session_sm(#{mgmt_state := timeout}) -> gone;
session_sm(#{jid := _}) -> none;
session_sm(_) -> gone.

%% A socket close now leaves the session resumable: mod_stream_mgmt's
%% transition_to_pending needs an active session with a resume timeout > 0
%% (0 when the client enabled stream management without resume).
is_resumable(#{mgmt_state := active, mgmt_timeout := Timeout, socket := _})
  when is_integer(Timeout), Timeout > 0 ->
    true;
is_resumable(_) ->
    false.

%% The client's own XEP-0115 caps, from the last presence it sent (mod_caps
%% keeps only its contacts' caps in the session state).
client_caps(#{pres_last := #presence{} = Pres}) ->
    try xmpp:get_subtag(Pres, #caps{}) of
        #caps{node = Node, version = Ver} -> {Node, Ver};
        _ -> {<<>>, <<>>}
    catch _:_ -> {<<>>, <<>>}
    end;
client_caps(_) ->
    {<<>>, <<>>}.

%%%===================================================================
%%% Late stanzas
%%%
%%% ejabberd routes a stanza to a full JID with the routing node's own copy of
%%% the session table (mnesia ram_copies, written with dirty operations, which
%%% reach the other nodes asynchronously). When a session moves, the other
%%% nodes' copies name the old process until the new session's write reaches
%%% them: milliseconds on an idle cluster, seconds on a saturated one. The old
%%% process re-routes what reaches it for 100 ms after its session closes
%%% (ejabberd_c2s:bounce_message_queue) and exits; a stanza sent to it later
%%% is dropped by Erlang without a trace. So the old process of a session that
%%% was replaced (a new stream bound the same resource) or resumed elsewhere
%%% (mod_stream_mgmt) keeps forwarding what still reaches it to the new
%%% session's process for forward_late ms. The client's socket is already
%%% closed or holds a <conflict/> stream error by then; only the process stays.
%%%===================================================================

%% A resumed session: do what mod_stream_mgmt would (close the old session, re-
%% route the stanzas queued since the resumption), but to the resuming process,
%% then forward; {stop, _} like mod_stream_mgmt's own clause.
c2s_terminated_resumed(#{mgmt_state := resumed, sid := SID, jid := JID,
                         lserver := LServer} = State, _Reason) ->
    case forward_window(LServer) of
        0 ->
            State;
        Window ->
            {U, S, R} = jid:tolower(JID),
            ejabberd_sm:close_session(SID, U, S, R),
            Fwd = forwarder({U, S, R}, maps:get(?SUCCESSOR_KEY, State, undefined)),
            Queue = maps:get(mgmt_queue, State, undefined),
            {Fwd1, Queued} = forward_queue(Fwd, Queue),
            State1 = case Queued of
                         0 -> State;
                         _ -> State#{mgmt_queue => p1_queue:clear(Queue)}
                     end,
            forward_late(Fwd1, JID, Queued, Window),
            {stop, State1}
    end;
c2s_terminated_resumed(State, _Reason) ->
    State.

%% A replaced session. ejabberd sends the client <conflict/>, ends the stream,
%% and the process handles what is already in its mailbox before it stops:
%% stanzas routed to it in between cannot be sent. Without us they would be
%% dropped, or queued by mod_stream_mgmt and bounced to their senders (or, with
%% resend_on_timeout, re-routed). Kept here instead, for the new session.
c2s_handle_send(#{replaced := true, lserver := LServer} = State, Pkt, {error, _}) ->
    case xmpp:is_stanza(Pkt) andalso forward_window(LServer) > 0 of
        true -> {stop, State#{?UNSENT_KEY => [Pkt | maps:get(?UNSENT_KEY, State, [])]}};
        false -> State
    end;
c2s_handle_send(State, _Pkt, _Result) ->
    State.

%% A replaced session, before mod_stream_mgmt and ejabberd_c2s close it. The
%% new session may be on another node, whose write of it reaches this node's
%% table a little after the <replaced> message did (the table is written dirty,
%% and the two travel separately): routed before that, a stanza for the
%% resource finds no session and goes to offline storage (a chat message) or
%% back to its sender. So the process waits, at most SUCCESSOR_WAIT ms, until
%% this node's table names another session for the resource, then hands it
%% what could not be sent; ejabberd_c2s then re-routes the mailbox to it. The
%% client got <conflict/>; its stream is ended first (RFC 6120 4.4: trailer,
%% then close), or it would wait for our closing tag, and its own would sit
%% unread until the close reset the connection.
c2s_terminated_replaced(#{replaced := true, sid := SID, jid := JID,
                          lserver := LServer} = State, _Reason) ->
    case forward_window(LServer) of
        0 ->
            State;
        Window ->
            State1 = end_stream(State),
            Wait = min(Window, ?SUCCESSOR_WAIT),
            USR = jid:tolower(JID),
            case await_successor(USR, SID, erlang:monotonic_time(millisecond) + Wait) of
                found ->
                    ok;
                Why ->
                    ?INFO_MSG("No other session for ~ts in this node's table "
                              "after ~B ms (~ts): its stanzas are routed as "
                              "ejabberd would", [jid:encode(JID), Wait, atom_to_list(Why)])
            end,
            case lists:reverse(maps:get(?UNSENT_KEY, State1, [])) of
                [] ->
                    ok;
                Unsent ->
                    _ = lists:foldl(fun(Pkt, Fwd) -> forward(Fwd, Pkt) end,
                                    forwarder(USR, undefined), Unsent),
                    ?INFO_MSG("Forwarded ~B stanza(s) that reached the old process "
                              "of ~ts after it was replaced", [length(Unsent), jid:encode(JID)])
            end,
            maps:remove(?UNSENT_KEY, State1)
    end;
c2s_terminated_replaced(State, _Reason) ->
    State.

%% A replaced session, after ejabberd_c2s closed it and re-routed its mailbox:
%% forward what other nodes still route to this process.
c2s_terminated_forward(#{replaced := true, jid := JID, lserver := LServer} = State,
                       _Reason) ->
    case forward_window(LServer) of
        0 ->
            State;
        Window ->
            forward_late(forwarder(jid:tolower(JID), undefined), JID, 0, Window),
            State
    end;
c2s_terminated_forward(State, _Reason) ->
    State.

%% found | timeout | shutdown. A replacement by max_user_sessions (another
%% resource) has no successor here: it waits out the bound.
await_successor({U, S, R} = USR, SID, Deadline) ->
    case lists:any(fun(Other) -> Other /= SID end,
                   ejabberd_sm:get_session_sids(U, S, R)) of
        true ->
            found;
        false ->
            Left = Deadline - erlang:monotonic_time(millisecond),
            receive
                {'EXIT', _, shutdown} = Exit ->
                    self() ! Exit,   % the node is stopping: let it
                    shutdown
            after min(max(Left, 0), ?SUCCESSOR_POLL) ->
                    case Left =< 0 of
                        true -> timeout;
                        false -> await_successor(USR, SID, Deadline)
                    end
            end
    end.

forward_window(LServer) ->
    try gen_mod:get_module_opt(LServer, ?MODULE, forward_late)
    catch _:_ -> 0
    end.

%% Where to forward: the resuming process if known (watched: if it ends, the
%% stanzas go back to ejabberd's routing), else whatever this node's table
%% names for the resource, looked up again until it names another process.
forwarder(USR, Pid) when is_pid(Pid) ->
    #{usr => USR, pid => Pid, mref => erlang:monitor(process, Pid)};
forwarder(USR, _) ->
    #{usr => USR, pid => undefined, mref => undefined}.

forward_queue(Fwd, undefined) ->
    {Fwd, 0};
forward_queue(Fwd, Queue) ->
    try p1_queue:len(Queue) of
        0 -> {Fwd, 0};
        N -> {p1_queue:foldl(fun({_, _Time, Pkt}, F) -> forward(F, Pkt) end, Fwd, Queue), N}
    catch _:_ -> {Fwd, 0}
    end.

forward_late(Fwd, JID, Count, Window) ->
    Deadline = erlang:monotonic_time(millisecond) + Window,
    N = forward_loop(Fwd, Count, Deadline),
    case N of
        0 -> ok;
        _ -> ?INFO_MSG("Forwarded ~B stanza(s) that reached the old process of ~ts "
                       "after its session had moved", [N, jid:encode(JID)])
    end.

forward_loop(#{mref := MRef} = Fwd, Count, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {route, Pkt} ->
            forward_loop(forward(Fwd, Pkt), Count + 1, Deadline);
        {'DOWN', MRef, process, _, _} ->   % never matches while MRef is undefined
            forward_loop(Fwd#{pid => undefined, mref => undefined}, Count, Deadline);
        {'EXIT', _, shutdown} ->
            Count   % the node is stopping: do not hold up its supervisor
    after Left ->
            Count
    end.

forward(Fwd, Pkt) ->
    case successor(Fwd) of
        #{pid := Pid} = Fwd1 when is_pid(Pid) ->
            ejabberd_c2s:route(Pid, {route, Pkt}),
            Fwd1;
        Fwd1 ->
            %% This node's table does not know the new session yet (or it ended):
            %% what ejabberd_c2s:bounce_message_queue would do.
            ejabberd_router:route(Pkt),
            Fwd1
    end.

successor(#{pid := Pid} = Fwd) when is_pid(Pid) ->
    Fwd;
successor(#{usr := {U, S, R}} = Fwd) ->
    Self = self(),
    case ejabberd_sm:get_session_pid(U, S, R) of
        Pid when is_pid(Pid), Pid /= Self ->
            Fwd#{pid => Pid, mref => erlang:monitor(process, Pid)};
        _ ->
            Fwd
    end.

%%%===================================================================
%%% Cordon
%%%===================================================================
cordon_call(NodeBin, Fun, Args) ->
    case find_node(NodeBin) of
        {ok, Node} ->
            case on_node(Node, Fun, Args) of
                {ok, Result} -> Result;
                {error, Reason, Text} ->
                    {<<"error">>, Reason, node_name(Node), <<"unknown">>, <<>>, Text}
            end;
        {error, Text} ->
            {<<"invalid">>, <<"unknown-node">>, NodeBin, <<>>, <<>>, Text}
    end.

%% State (persistent_term, this node only, gone with the VM):
%%   #{mode => refuse, listeners => [{EndPoint, Module, Opts}]}
%%   #{mode => redirect, redirect => Host, listeners => []}
%% Refuse removes the c2s listeners: a client's connect fails at once and its
%% own logic (the next SRV record, a load balancer) picks another node.
%% Redirect keeps them and answers at stream start (c2s_stream_started), before
%% any authentication work, with <see-other-host/>: the client learns where to
%% go instead of retrying the same address, as Tigase does at login.
local_cordon(Mode) ->
    ensure_enabled(),
    locked(fun() ->
                   Old = cordon_state(),
                   case {Old, Mode} of
                       {#{mode := refuse}, refuse} ->
                           cordon_result(<<"already refusing new connections">>);
                       {#{mode := refuse, listeners := Ls}, {redirect, Host}} ->
                           case restore_listeners(Ls) of
                               [] -> set_redirect(Host);
                               Left -> listener_failure(Left)
                           end;
                       {_, refuse} ->
                           case remove_listeners(c2s_listeners()) of
                               {ok, Removed} ->
                                   persistent_term:put(?CORDON_KEY, #{mode => refuse,
                                                                      listeners => Removed}),
                                   ?INFO_MSG("xtransfer: cordoned, c2s listeners removed: ~ts",
                                             [endpoints(Removed)]),
                                   cordon_result(fmt("c2s listeners removed: ~ts",
                                                     [endpoints(Removed)]));
                               {error, Text} ->
                                   cordon_result(<<"error">>, <<"listener-failed">>, Text)
                           end;
                       {_, {redirect, Host}} ->
                           set_redirect(Host)
                   end
           end).

set_redirect(Host) ->
    persistent_term:put(?CORDON_KEY, #{mode => redirect, redirect => Host, listeners => []}),
    ?INFO_MSG("xtransfer: cordoned, new streams redirected to ~ts", [Host]),
    cordon_result(fmt("new streams are answered with <see-other-host>~ts</see-other-host>", [Host])).

local_uncordon() ->
    ensure_enabled(),
    locked(fun() ->
                   case cordon_state() of
                       none ->
                           cordon_result(<<"was not cordoned">>);
                       #{mode := refuse, listeners := Ls} ->
                           case restore_listeners(Ls) of
                               [] ->
                                   persistent_term:erase(?CORDON_KEY),
                                   ?INFO_MSG("xtransfer: uncordoned, c2s listeners back: ~ts",
                                             [endpoints(Ls)]),
                                   cordon_result(fmt("c2s listeners back: ~ts", [endpoints(Ls)]));
                               Left ->
                                   listener_failure(Left)
                           end;
                       #{mode := redirect} ->
                           persistent_term:erase(?CORDON_KEY),
                           ?INFO_MSG("xtransfer: uncordoned, redirect ended", []),
                           cordon_result(<<"redirect ended">>)
                   end
           end).

local_cordon_state() ->
    ensure_enabled(),
    cordon_mode().

cordon_mode() ->
    case cordon_state() of
        none -> {none, <<>>};
        #{mode := redirect, redirect := Host} -> {redirect, Host};
        #{mode := refuse} -> {refuse, <<>>}
    end.

cordon_state() ->
    persistent_term:get(?CORDON_KEY, none).

%% A node where the .beam is on the code path but the module is not enabled
%% would answer these calls (erpc loads the code) while its sessions, without
%% our hooks, never answer: report it as having no companion.
ensure_enabled() ->
    case lists:any(fun(Host) -> gen_mod:is_loaded(Host, ?MODULE) end, ejabberd_option:hosts()) of
        true -> ok;
        false -> erlang:error(xtransfer_not_enabled)
    end.

cordon_result(Text) ->
    cordon_result(<<"ok">>, <<>>, Text).

cordon_result(Result, Reason, Text) ->
    {Mode, Redirect} = cordon_mode(),
    {Result, Reason, node_name(node()), atom_to_binary(Mode, utf8), Redirect, Text}.

listener_failure(Left) ->
    %% The ones that came back are no longer ours to restore.
    persistent_term:put(?CORDON_KEY, #{mode => refuse, listeners => [L || {L, _} <- Left]}),
    cordon_result(<<"error">>, <<"listener-failed">>,
                  fmt("could not restart ~ts: ~p",
                      [endpoints([L || {L, _} <- Left]), [E || {_, E} <- Left]])).

%% Two cordon calls for one node never interleave.
locked(Fun) ->
    case global:trans({{?MODULE, cordon}, self()}, Fun, [node()], 100) of
        aborted -> cordon_result(<<"error">>, <<"busy">>, <<"another cordon call holds this node">>);
        Result -> Result
    end.

%% The running c2s listeners as ejabberd_listener keeps them (with every
%% option, defaults applied), so that they can be put back exactly.
c2s_listeners() ->
    [L || {_EndPoint, ejabberd_c2s, _Opts} = L <- ets:tab2list(ejabberd_listener)].

remove_listeners(Ls) ->
    remove_listeners(Ls, []).

remove_listeners([], Done) ->
    {ok, lists:reverse(Done)};
remove_listeners([{EndPoint, Module, _} = L | Rest], Done) ->
    case ejabberd_listener:delete_listener(EndPoint, Module) of
        ok ->
            remove_listeners(Rest, [L | Done]);
        {error, Why} ->
            _ = restore_listeners(Done),
            {error, fmt("could not stop ~ts: ~p", [endpoints([L]), Why])}
    end.

%% add_listener/3 starts the listener but, unlike the startup path, does not
%% record it in ejabberd_listener's table, which delete_listener/2 and
%% config_reloaded read: record it, or the next cordon would miss it.
%% Returns the ones that failed, with their errors.
restore_listeners(Ls) ->
    lists:filtermap(
      fun({EndPoint, Module, Opts} = L) ->
              case ejabberd_listener:add_listener(EndPoint, Module, Opts) of
                  ok ->
                      ets:insert(ejabberd_listener, L),
                      false;
                  {error, {already_started, _}} ->
                      ets:insert(ejabberd_listener, L),
                      false;
                  {error, Why} ->
                      {true, {L, Why}}
              end
      end, Ls).

%% reload_config restarts every configured listener that is missing: a node
%% that was refusing connections would silently accept them again.
config_reloaded() ->
    locked(fun() ->
                   case cordon_state() of
                       #{mode := refuse} ->
                           case remove_listeners(c2s_listeners()) of
                               {ok, Removed} ->
                                   persistent_term:put(?CORDON_KEY, #{mode => refuse,
                                                                      listeners => Removed}),
                                   ?INFO_MSG("xtransfer: config reloaded; still cordoned, "
                                             "c2s listeners removed again: ~ts", [endpoints(Removed)]);
                               {error, Text} ->
                                   ?ERROR_MSG("xtransfer: config reloaded; cordon lost: ~ts", [Text])
                           end;
                       _ ->
                           ok
                   end
           end),
    ok.

%% Unloading the module ends its cordon (nothing could lift it afterwards),
%% except while ejabberd stops: its listeners are already gone for good.
end_cordon_on_stop() ->
    case {cordon_state(), whereis(ejabberd_listener)} of
        {#{mode := refuse, listeners := Ls}, Pid} when is_pid(Pid) ->
            _ = restore_listeners(Ls);
        _ ->
            ok
    end,
    persistent_term:erase(?CORDON_KEY),
    ok.

c2s_stream_started(#{stream_restarted := false} = State, _StreamStart) ->
    case cordon_state() of
        #{mode := redirect, redirect := Host} ->
            {stop, ejabberd_c2s:send(State, xmpp:serr_see_other_host(Host))};
        _ ->
            State
    end;
c2s_stream_started(State, _StreamStart) ->
    State.

endpoints([]) ->
    <<"none">>;
endpoints(Ls) ->
    iolist_to_binary(
      lists:join(", ", [[misc:ip_to_list(IP), $:, integer_to_list(Port)]
                        || {{Port, IP, _}, _, _} <- Ls])).

%%%===================================================================
%%% Arguments
%%%===================================================================
%% host, host:port, IPv4[:port], [IPv6][:port] (RFC 6120 4.9.3.19: an IPv6
%% address in brackets, as RFC 3986 writes it). Returns the text as given.
parse_host(Bin) when is_binary(Bin) ->
    case host_port(Bin) of
        {ok, _} -> {ok, Bin};
        error -> {error, fmt("not host, host:port or [IPv6]:port: ~ts", [printable(Bin)])}
    end.

host_port(<<"[", Rest/binary>>) ->
    case binary:split(Rest, <<"]">>) of
        [Addr, Tail] ->
            case inet:parse_ipv6strict_address(binary_to_list(Addr)) of
                {ok, _} -> optional_port(Tail);
                _ -> error
            end;
        _ -> error
    end;
host_port(Bin) ->
    case binary:split(Bin, <<":">>) of
        [Host] -> valid_hostname(Host);
        [Host, Port] ->
            case valid_hostname(Host) of
                {ok, _} -> optional_port(<<":", Port/binary>>);
                error -> error
            end;
        _ -> error   % a bare IPv6 address: it needs brackets
    end.

optional_port(<<>>) -> {ok, default};
optional_port(<<":", Digits/binary>>) when byte_size(Digits) > 0, byte_size(Digits) =< 5 ->
    case lists:all(fun(C) -> C >= $0 andalso C =< $9 end, binary_to_list(Digits)) of
        true ->
            case binary_to_integer(Digits) of
                P when P >= 1, P =< 65535 -> {ok, P};
                _ -> error
            end;
        false -> error
    end;
optional_port(_) -> error.

%% A DNS name (RFC 1123 labels) or a dotted IPv4 address.
valid_hostname(Host) when byte_size(Host) >= 1, byte_size(Host) =< 253 ->
    Labels = binary:split(Host, <<".">>, [global]),
    case lists:all(fun valid_label/1, Labels) of
        true -> {ok, Host};
        false -> error
    end;
valid_hostname(_) ->
    error.

valid_label(L) when byte_size(L) >= 1, byte_size(L) =< 63 ->
    Chars = binary_to_list(L),
    lists:all(fun(C) -> (C >= $a andalso C =< $z) orelse (C >= $A andalso C =< $Z)
                            orelse (C >= $0 andalso C =< $9) orelse C == $- end, Chars)
        andalso hd(Chars) /= $- andalso lists:last(Chars) /= $-;
valid_label(_) ->
    false.

parse_condition(<<"see-other-host">>) ->
    {error, <<"see-other-host needs a host: use xtransfer_redirect">>};
parse_condition(Bin) when is_binary(Bin) ->
    case lists:member(Bin, ?CONDITIONS) of
        true -> {ok, binary_to_atom(Bin, utf8)};   % from the fixed list above
        false -> {error, fmt("not an RFC 6120 stream error condition: ~ts", [printable(Bin)])}
    end.

parse_bare_jids([], Acc) ->
    {ok, lists:usort(Acc)};
parse_bare_jids([Bin | Rest], Acc) ->
    try jid:decode(Bin) of
        #jid{luser = U, lserver = S, lresource = <<>>} when U /= <<>> ->
            case ejabberd_router:is_my_host(S) of
                true -> parse_bare_jids(Rest, [{U, S} | Acc]);
                false -> {error, fmt("~ts is not a domain of this cluster", [S])}
            end;
        _ ->
            {error, fmt("not a bare JID (user@domain): ~ts", [printable(Bin)])}
    catch _:{bad_jid, _} ->
            {error, fmt("not a JID: ~ts", [printable(Bin)])}
    end.

%% Node names are matched against the cluster's, never turned into atoms
%% from input.
find_node(NodeBin) ->
    case [N || N <- known_nodes(), atom_to_binary(N, utf8) == NodeBin] of
        [Node] -> {ok, Node};
        [] -> {error, fmt("not a node of this cluster: ~ts (known: ~ts)",
                          [printable(NodeBin),
                           lists:join(", ", [node_name(N) || N <- known_nodes()])])}
    end.

known_nodes() ->
    lists:usort([node() | ejabberd_cluster:get_known_nodes()]).

on_node(Node, Fun, Args) ->
    try erpc:call(Node, ?MODULE, Fun, Args, ?RPC_TIMEOUT) of
        Result -> {ok, Result}
    catch Class:Why ->
            {Reason, Text} = rpc_failure(Node, {Class, Why}),
            {error, Reason, Text}
    end.

rpc_failure(Node, {error, {erpc, noconnection}}) ->
    {<<"node-down">>, fmt("node ~ts cannot be reached", [Node])};
rpc_failure(Node, {error, {erpc, timeout}}) ->
    {<<"timeout">>, fmt("node ~ts did not answer in ~B ms", [Node, ?RPC_TIMEOUT])};
rpc_failure(Node, {error, {exception, undef, [{?MODULE, _, _, _} | _]}}) ->
    {<<"no-companion">>, fmt("mod_xtransfer is not loaded on ~ts", [Node])};
rpc_failure(Node, {error, {exception, xtransfer_not_enabled, _}}) ->
    {<<"no-companion">>, fmt("mod_xtransfer is not enabled on ~ts", [Node])};
rpc_failure(Node, {Class, Why}) ->
    ?ERROR_MSG("xtransfer: call to ~ts failed: ~p:~p", [Node, Class, Why]),
    {<<"error">>, fmt("call to ~ts failed: ~p", [Node, Why])}.

node_name(Node) ->
    atom_to_binary(Node, utf8).

printable(Bin) when is_binary(Bin), byte_size(Bin) > 100 ->
    <<(binary:part(Bin, 0, 100))/binary, "...">>;
printable(Bin) ->
    Bin.

fmt(Format, Args) ->
    unicode:characters_to_binary(io_lib:format(Format, Args)).

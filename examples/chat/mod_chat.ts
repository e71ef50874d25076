/**
 * A chat room: the example of server pushes. Each client joins with its nick
 * as ArgsC; `{say, Text}` (cast) is pushed to everyone else as
 * `{said, Nick, Text}`; `who` (rpc) answers the list of nicks; joins and
 * leaves are pushed as `{joined, Nick}` / `{left, Nick}`.
 *
 *   {service, chat, password, none, mfa, mod_chat, start, "lobby"}.
 */
import { atom, isAtom, isTuple, tuple, type MiddleMan, type Term } from 'lib-chan';

const rooms = new Map<string, Map<MiddleMan, string>>();

function broadcast(room: Map<MiddleMan, string>, from: MiddleMan | undefined, msg: Term): void {
  for (const mm of room.keys()) if (mm !== from && mm.isOpen) mm.send(msg);
}

export async function start(mm: MiddleMan, argsC: Term, argsS: Term): Promise<void> {
  const nick = typeof argsC === 'string' && argsC.length > 0 && argsC.length <= 32 ? argsC : `guest${Math.floor(Math.random() * 10_000)}`;
  const roomName = typeof argsS === 'string' ? argsS : 'lobby';
  let room = rooms.get(roomName);
  if (!room) rooms.set(roomName, (room = new Map()));
  broadcast(room, mm, tuple(atom('joined'), nick));
  room.set(mm, nick);
  try {
    for await (const req of mm.requests()) {
      const msg = req.term;
      if (isTuple(msg, 2, 'say') && typeof msg.at(1) === 'string') {
        broadcast(room, mm, tuple(atom('said'), nick, msg.at(1)));
        if (req.isCall && mm.secure) req.reply(atom('ok'));
      } else if (isAtom(msg, 'who')) {
        req.reply([...room.values()]);
      } else if (req.isCall) {
        req.fail('badRequest', 'the chat understands {say, Text} and who');
      }
    }
  } finally {
    room.delete(mm);
    broadcast(room, undefined, tuple(atom('left'), nick));
    if (room.size === 0) rooms.delete(roomName);
  }
}

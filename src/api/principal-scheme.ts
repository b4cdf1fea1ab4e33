// The instance-scoped principal scheme: a user certificate names `LOGIN@HOSTID`, and a
// host's AuthorizedPrincipalsFile for LOGIN lists exactly `LOGIN@<its own id>`. So a
// certificate for (instance X, login U) opens neither instance Y (other host id) nor
// login V (other file, other name). HOSTID is the EC2 instance id, or a joined host's name.
import { parsePrincipal, type Login, type Principal } from '../ssh/names.js';

/** The one principal a user certificate for (login, host) carries. */
export const userPrincipal = (login: Login, hostId: string): Principal => parsePrincipal(`${login}@${hostId}`);

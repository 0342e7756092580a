import { isIP } from 'node:net';
import type * as fhir4 from 'fhir/r4';
import { canonicalJson, type AuditRecordBody, type CheckpointBody } from '../chain/audit-chain';

// FHIR R4 mapping of the trail (docs/audit.md). Every AuditEvent and Provenance also carries
// the exact canonical bytes that were hashed or signed, base64 in an extension, so the Bundle
// verifies offline like the other formats.
export const FHIR_CHAIN_EXTENSION = 'urn:hekim:audit:chain';
export const FHIR_CHECKPOINT_EXTENSION = 'urn:hekim:audit:checkpoint';
// The Bundle's meta.tag that carries the server's host (AUDIT_SOURCE_HOST), so that the
// offline verifier re-renders every AuditEvent with the host the export was made with.
export const FHIR_SOURCE_HOST_TAG = 'urn:hekim:audit:source-host';
// What exports made before the host was configurable carry as the server's address.
export const LEGACY_SOURCE_HOST = 'hekim';
const ACTION_SYSTEM = 'urn:hekim:audit:action';
const ROLE_SYSTEM = 'urn:hekim:role';
const USER_SYSTEM = 'urn:hekim:user';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

const OUTCOME: Record<string, fhir4.AuditEvent['outcome']> = {
  success: '0',
  failure: '4',
  denied: '4',
};

// Records BALP has no profile for, coded as IHE ATNA and DICOM PS3.15 code them
// (docs/audit.md, "IHE BALP"): sign-in and sign-out are User Authentication events with the
// Login or Logout subtype; break-glass starts and ends are Security Alerts, Emergency Override
// Started or Stopped (an expiry ends the override as much as an explicit end does).
const LOGIN = { system: DCM, code: '110122', display: 'Login' };
const LOGOUT = { system: DCM, code: '110123', display: 'Logout' };
const OVERRIDE_STARTED = { system: DCM, code: '110127', display: 'Emergency Override Started' };
const OVERRIDE_STOPPED = { system: DCM, code: '110138', display: 'Emergency Override Stopped' };
const SECURITY_ALERT = { system: DCM, code: '110113', display: 'Security Alert' };
const SECURITY_SUBTYPES: Record<string, fhir4.Coding> = {
  'auth.login': LOGIN,
  'auth.logout': LOGOUT,
  'break_glass.start': OVERRIDE_STARTED,
  'break_glass.end': OVERRIDE_STOPPED,
  'break_glass.expire': OVERRIDE_STOPPED,
};
// Sign-in and sign-out concern the account holder themselves: object-role 6 User, not Patient.
const ACCOUNT_ACTIONS = new Set(['auth.login', 'auth.logout']);
// The purpose of use of an access that broke the glass (HL7 v3 ActReason).
const BREAK_THE_GLASS: fhir4.CodeableConcept = {
  coding: [
    {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
      code: 'BTG',
      display: 'break the glass',
    },
  ],
};
const BREAK_GLASS_USES = new Set(['break_glass.start', 'break_glass.access']);
// Hekim resource types that are FHIR resources of their own, named in entity.what.type.
const FHIR_RESOURCE_TYPES: Record<string, string> = { consent: 'Consent' };

function eventType(action: string): fhir4.Coding {
  if (action.startsWith('break_glass.') && SECURITY_SUBTYPES[action]) return SECURITY_ALERT;
  if (action.startsWith('auth.'))
    return { system: DCM, code: '110114', display: 'User Authentication' };
  if (action === 'audit.export') return { system: DCM, code: '110106', display: 'Export' };
  if (action.startsWith('audit.'))
    return { system: DCM, code: '110101', display: 'Audit Log Used' };
  return {
    system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
    code: 'rest',
    display: 'RESTful Operation',
  };
}

// C/R/U/D/E from the verb at the end of the action name.
function eventAction(action: string): fhir4.AuditEvent['action'] {
  if (SECURITY_SUBTYPES[action]) return 'E';
  const verb = action.slice(action.lastIndexOf('.') + 1);
  if (/^(create|register|invite|start|grant)/.test(verb)) return 'C';
  if (/^(read|view|list|search|export|verify)/.test(verb)) return 'R';
  if (/^(update|change|enable|disable|approve|reset)/.test(verb)) return 'U';
  if (/^(delete|remove|erase|revoke)/.test(verb)) return 'D';
  return 'E';
}

function balpAction(interaction: Interaction | undefined): fhir4.AuditEvent['action'] {
  if (interaction === 'create') return 'C';
  if (interaction === 'update') return 'U';
  if (interaction === 'delete') return 'D';
  return interaction === 'search-type' ? 'E' : 'R';
}

function chainExtension(body: AuditRecordBody, prevHash: string, hash: string): fhir4.Extension {
  return {
    url: FHIR_CHAIN_EXTENSION,
    extension: [
      { url: 'seq', valueString: body.seq },
      { url: 'prevHash', valueString: prevHash },
      { url: 'hash', valueString: hash },
      {
        url: 'canonical',
        valueBase64Binary: Buffer.from(canonicalJson(body), 'utf8').toString('base64'),
      },
    ],
  };
}

// IHE Basic Audit Log Patterns (BALP): the profiles the AuditEvents of successful RESTful
// actions on people's records follow (docs/audit.md, "IHE BALP"). The profile is declared in
// meta.profile and the event carries what it asks for: type `rest`, a restful-interaction
// subtype, client and server agents, the data entity, and the patient entity when there is one.
export const BALP = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

type Interaction = 'read' | 'create' | 'update' | 'delete' | 'search-type';
const BALP_INTERACTIONS: Record<string, Interaction> = {
  'user.read': 'read',
  'patient_profile.read': 'read',
  'break_glass.access': 'read',
  'auth.register': 'create',
  'user.create': 'create',
  'appointment.book': 'create',
  'user.update': 'update',
  'user.profile_update': 'update',
  'patient_profile.update': 'update',
  'appointment.reschedule': 'update',
  'appointment.cancel': 'update',
  'user.deactivate': 'delete',
  'data_subject.erasure_approve': 'delete',
  'user.search': 'search-type',
  // A person's consent decision creates their consent record; a withdrawal updates it (the
  // record stays, withdrawn). Not IHE.BasicAudit.AuthZconsent: see docs/audit.md.
  'consent.grant': 'create',
  'consent.withdraw': 'update',
};
const PROFILE_NAMES: Record<Interaction, string> = {
  read: 'Read',
  create: 'Create',
  update: 'Update',
  delete: 'Delete',
  'search-type': 'Query',
};

// The BALP profile a record's AuditEvent follows, if any: successful actions only (the basic
// patterns record what happened), the Patient variant when the record names its subject.
export function balpProfileOf(body: AuditRecordBody): string | null {
  const interaction = BALP_INTERACTIONS[body.action];
  // The client's network address is required (agent[client].network 1..1): a record made
  // without a request (by Hekim itself) claims no profile.
  if (!interaction || body.outcome !== 'success' || !body.actor.ip) return null;
  return `${BALP}.${body.subjectId ? 'Patient' : ''}${PROFILE_NAMES[interaction]}`;
}

// The client and server agents' types, as each profile fixes them (BALP 1.1.4): the DICOM
// pattern names the side the data flows from Source Role ID, so a read's server is the source
// and its client the destination; a query keeps the request's direction (client is the
// source); a delete names the client Application and the server the records' Custodian.
const SOURCE_ROLE: fhir4.Coding = { system: DCM, code: '110153', display: 'Source Role ID' };
const DESTINATION_ROLE: fhir4.Coding = {
  system: DCM,
  code: '110152',
  display: 'Destination Role ID',
};
const AGENT_TYPES: Record<Interaction, { client: fhir4.Coding; server: fhir4.Coding }> = {
  read: { client: DESTINATION_ROLE, server: SOURCE_ROLE },
  create: { client: SOURCE_ROLE, server: DESTINATION_ROLE },
  update: { client: SOURCE_ROLE, server: DESTINATION_ROLE },
  delete: {
    client: { system: DCM, code: '110150', display: 'Application' },
    server: {
      system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
      code: 'custodian',
      display: 'Custodian',
    },
  },
  'search-type': { client: SOURCE_ROLE, server: DESTINATION_ROLE },
};

function balpParts(body: AuditRecordBody, interaction: Interaction, sourceHost: string) {
  const client: fhir4.AuditEventAgent = {
    type: { coding: [AGENT_TYPES[interaction].client] },
    who: { display: body.actor.userAgent ?? 'client' },
    requestor: false,
    ...(body.actor.ip ? { network: { address: body.actor.ip, type: '2' as const } } : {}),
  };
  // The profiles require the server's network address. The trail does not keep which
  // instance served the request: it is the deployment's host (AUDIT_SOURCE_HOST), a machine
  // name (network type 1) or an IP address (type 2), as is source.observer (docs/audit.md).
  const server: fhir4.AuditEventAgent = {
    type: { coding: [AGENT_TYPES[interaction].server] },
    who: { display: 'hekim' },
    requestor: false,
    network: { address: sourceHost, type: isIP(sourceHost) ? '2' : '1' },
  };
  const data: fhir4.AuditEventEntity =
    interaction === 'search-type'
      ? {
          type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
          role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
          query: Buffer.from(canonicalJson(body.details), 'utf8').toString('base64'),
        }
      : {
          what: {
            ...(body.resource.type && FHIR_RESOURCE_TYPES[body.resource.type]
              ? { type: FHIR_RESOURCE_TYPES[body.resource.type] }
              : {}),
            identifier: {
              system: `urn:hekim:${body.resource.type ?? 'record'}`,
              ...(body.resource.id ? { value: body.resource.id } : {}),
            },
          },
          type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
          role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
        };
  return {
    subtype: { system: RESTFUL_INTERACTION, code: interaction },
    agents: [client, server],
    data,
  };
}

export function toFhirAuditEvent(
  body: AuditRecordBody,
  prevHash: string,
  hash: string,
  sourceHost: string = LEGACY_SOURCE_HOST,
): fhir4.AuditEvent {
  const agent: fhir4.AuditEventAgent = {
    type: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
          code: 'humanuser',
          display: 'human user',
        },
      ],
    },
    requestor: true,
  };
  if (body.actor.userId)
    agent.who = { identifier: { system: USER_SYSTEM, value: body.actor.userId } };
  if (body.actor.role) agent.role = [{ coding: [{ system: ROLE_SYSTEM, code: body.actor.role }] }];
  if (body.actor.ip) agent.network = { address: body.actor.ip, type: '2' };
  if (BREAK_GLASS_USES.has(body.action) && body.outcome === 'success')
    agent.purposeOfUse = [BREAK_THE_GLASS];
  const entity: fhir4.AuditEventEntity[] = [];
  if (body.resource.type) {
    entity.push({
      what: {
        identifier: { system: `urn:hekim:${body.resource.type}`, value: body.resource.id ?? '' },
      },
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '2',
        display: 'System Object',
      },
    });
  }
  if (body.subjectId) {
    entity.push({
      what: { identifier: { system: USER_SYSTEM, value: body.subjectId } },
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '1',
        display: 'Person',
      },
      role: ACCOUNT_ACTIONS.has(body.action)
        ? { system: OBJECT_ROLE, code: '6', display: 'User' }
        : { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  // An empty identifier value is not allowed in FHIR: drop it.
  for (const e of entity) if (e.what?.identifier?.value === '') delete e.what.identifier.value;
  const profile = balpProfileOf(body);
  const interaction = BALP_INTERACTIONS[body.action];
  const subtype: fhir4.Coding[] = [{ system: ACTION_SYSTEM, code: body.action }];
  if (SECURITY_SUBTYPES[body.action]) subtype.push(SECURITY_SUBTYPES[body.action]);
  const agents = [agent];
  if (profile && interaction) {
    const balp = balpParts(body, interaction, sourceHost);
    subtype.push(balp.subtype);
    agents.push(...balp.agents);
    // BALP's own data entity replaces the generic one; the patient entity stays, as a
    // reference to a Patient.
    entity.splice(0, body.resource.type ? 1 : 0, balp.data);
    const patient = entity.find((e) => e.role?.code === '1');
    if (patient?.what) patient.what.type = 'Patient';
  }
  return {
    resourceType: 'AuditEvent',
    id: body.seq,
    ...(profile ? { meta: { profile: [profile] } } : {}),
    extension: [chainExtension(body, prevHash, hash)],
    type: profile
      ? {
          system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
          code: 'rest',
          display: 'RESTful Operation',
        }
      : eventType(body.action),
    subtype,
    action: profile ? balpAction(interaction) : eventAction(body.action),
    recorded: body.occurredAt,
    outcome: OUTCOME[body.outcome] ?? '8',
    outcomeDesc: body.outcome,
    agent: agents,
    source: {
      site: 'hekim',
      observer: { display: sourceHost },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    ...(entity.length > 0 ? { entity } : {}),
  };
}

export function toFhirProvenance(body: CheckpointBody, signature: string): fhir4.Provenance {
  return {
    resourceType: 'Provenance',
    id: `checkpoint-${body.seq}`,
    extension: [
      {
        url: FHIR_CHECKPOINT_EXTENSION,
        valueBase64Binary: Buffer.from(canonicalJson(body), 'utf8').toString('base64'),
      },
    ],
    target: [{ reference: `AuditEvent/${body.seq}` }],
    recorded: body.createdAt,
    agent: [{ who: { display: 'hekim audit signer' } }],
    signature: [
      {
        type: [
          {
            system: 'urn:iso-astm:E1762-95:2013',
            code: '1.2.840.10065.1.12.1.5',
            display: 'Verification Signature',
          },
        ],
        when: body.createdAt,
        who: { display: `hekim audit key ${body.keyId}` },
        sigFormat: 'application/octet-stream',
        data: signature,
      },
    ],
  };
}

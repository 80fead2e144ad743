import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isViewAction } from '../../../common/contract/audit.js';
import { createWorld, type World } from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

type Event = {
  id: string;
  action: string;
  patientId: string | null;
  patientName: string | null;
  subject: { type: string; id: string | null; label: string | null } | null;
};

async function activityOf(patientId: string, as: Client): Promise<Event[]> {
  const res = await as.get(`/api/v1/patients/${patientId}/activity`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.events;
}

async function systemActivity(query = ''): Promise<Event[]> {
  const res = await w.as.admin.get(`/api/v1/admin/audit${query ? `?${query}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.events;
}

const about = (events: Event[], action: string, subjectId: string) =>
  events.find((e) => e.action === action && e.subject?.id === subjectId);

describe('System Activity and Activity rows say what they are about', () => {
  let topicId: string;
  let byTopic: string;
  let bySubject: string;
  let messageId: string;

  beforeAll(async () => {
    const topic = await w.as.admin.post('/api/v1/admin/topics', {
      name: 'Prescriptions',
      roleId: w.roles.nurses,
    });
    expect(topic.status).toBe(201);
    topicId = topic.body.id;
    const first = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'SECRET-TEXT my tablets ran out',
      topicId,
    });
    expect(first.status).toBe(201);
    byTopic = first.body.conversation.id;
    const second = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'SECRET-TEXT my knee hurts',
      subject: 'Sore knee',
    });
    expect(second.status).toBe(201);
    bySubject = second.body.conversation.id;
    messageId = second.body.message.id;
    expect(
      (await w.as.nurse.get(`/api/v1/conversations/${byTopic}`)).status,
      'the nurse reads the conversation of her topic',
    ).toBe(200);
    const inbox = await w.as.receptionist.get('/api/v1/inbox');
    expect(inbox.status, JSON.stringify(inbox.body)).toBe(200);
  });

  it("names the patient and labels a conversation by its subject, else its topic, never with a message's text", async () => {
    const seen = await activityOf(w.alice.id, w.as.nurse);
    expect(seen.every((e) => e.patientName === 'Alice Archer')).toBe(true);
    expect(about(seen, 'conversation.created', byTopic)?.subject?.label).toBe('Prescriptions');
    expect(about(seen, 'conversation.viewed', byTopic)?.subject).toEqual({
      type: 'conversation',
      id: byTopic,
      label: 'Prescriptions',
    });
    expect(JSON.stringify(seen)).not.toContain('SECRET-TEXT');

    // The receptionist sees the subject of the conversation routed to her role, and a message
    // row is labelled by its conversation.
    const reception = await activityOf(w.alice.id, w.as.receptionist);
    expect(about(reception, 'conversation.created', bySubject)?.subject?.label).toBe('Sore knee');
    expect(about(reception, 'message.created', messageId)?.subject?.label).toBe('Sore knee');
  });

  it('labels a conversation only for a reader who sees one of its messages (rule 4)', async () => {
    // The Prescriptions conversation went to the Nurses only.
    const reception = await activityOf(w.alice.id, w.as.receptionist);
    const row = about(reception, 'conversation.created', byTopic);
    expect(row?.patientName).toBe('Alice Archer');
    expect(row?.subject).toEqual({ type: 'conversation', id: byTopic, label: null });
    // The admin holds no role in this world.
    const admin = await systemActivity(`patientId=${w.alice.id}`);
    expect(about(admin, 'conversation.created', byTopic)?.subject?.label).toBeNull();
  });

  it('labels topics, roles and users by their names, and leaves a non-id subject unlabelled', async () => {
    const all = await systemActivity();
    expect(about(all, 'topic.created', topicId)?.subject?.label).toBe('Prescriptions');
    const inbox = all.find((e) => e.action === 'inbox.team_viewed');
    expect(inbox?.subject).toEqual({ type: 'inbox', id: 'open', label: null });
    expect(inbox?.patientName).toBeNull();
  });

  it('hides views on request, so changes stand out', async () => {
    const views = ['conversation.viewed', 'inbox.team_viewed', 'feed.viewed', 'audit.viewed'];
    const everything = (await systemActivity()).map((e) => e.action);
    expect(everything).toContain('conversation.viewed');
    expect(everything).toContain('inbox.team_viewed');
    const changes = (await systemActivity('hideViews=true')).map((e) => e.action);
    expect(changes).toContain('conversation.created');
    expect(changes).toContain('topic.created');
    for (const v of views) expect(changes).not.toContain(v);
    // The query and the web app's isViewAction draw the same line.
    expect(changes.filter(isViewAction)).toEqual([]);
    expect(everything.filter((a) => !changes.includes(a)).every(isViewAction)).toBe(true);
    expect((await systemActivity('hideViews=false')).map((e) => e.action)).toContain(
      'conversation.viewed',
    );
    const bad = await w.as.admin.get('/api/v1/admin/audit?hideViews=yes');
    expect(bad.status).toBe(422);
    expect(bad.body.error.field).toBe('hideViews');
  });
});

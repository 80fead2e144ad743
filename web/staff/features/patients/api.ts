import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post } from '../../../lib/api';

export interface PatientHit {
  id: string;
  name: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  email: string | null;
  chargeBandName: string;
}

export interface PatientRecord {
  id: string;
  name: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  email: string | null;
  mobile: string | null;
  emailConsent: boolean;
  chargeBand: { id: string; name: string };
  portalAccount: {
    email: string;
    state: 'invited' | 'active' | 'blocked' | 'disabled';
    failedSignIns: number;
    invitedAt: string | null;
    activatedAt: string | null;
  } | null;
  messaging: { allowed: boolean; reason: string | null; message: string | null };
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { kind: string; userId: string | null; patientId: string | null; label: string | null };
  patientId: string | null;
  subject: { type: string; id: string } | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export function usePatientSearch(query: string) {
  return useQuery({
    queryKey: ['patients', 'search', query],
    queryFn: () => get<{ patients: PatientHit[] }>(`/patients?query=${encodeURIComponent(query)}`),
    enabled: query.trim().length >= 2,
    placeholderData: (previous) => previous,
  });
}

export function usePatient(id: string) {
  return useQuery({
    queryKey: ['patient', id],
    queryFn: () => get<PatientRecord>(`/patients/${id}`),
  });
}

export function usePatientActivity(id: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ['patient', id, 'activity'],
    queryFn: ({ pageParam }) =>
      get<{ events: AuditEvent[]; nextCursor: string | null }>(
        `/patients/${id}/activity${pageParam ? `?cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled,
  });
}

/** Invite, Reset Portal Login, Unblock Portal User, disable, enable. */
export function usePortalAccountAction(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: 'invite' | 'reset' | 'unblock' | 'disable' | 'enable') =>
      post<PatientRecord>(`/patients/${id}/portal-account/${action}`),
    onSuccess: (record) => client.setQueryData(['patient', id], record),
  });
}

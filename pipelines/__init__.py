"""Staff wellbeing across NHS and social care by Integrated Care System."""
